import t from 'tap';
import { labelText, renderTable } from '../../../../hub/cli/format/table.js';

t.test('a table has upper-case headers and columns three spaces apart, without trailing blanks', (t) => {
  const text = renderTable(['name', 'status'], [
    ['web-1', 'Running'],
    ['a', 'CrashLoopBackOff'],
  ]);
  t.equal(text, ['NAME    STATUS', 'web-1   Running', 'a       CrashLoopBackOff', ''].join('\n'));
  t.end();
});

t.test('empty cells print as <none>', (t) => {
  t.equal(renderTable(['A', 'B'], [['', 'x']]), 'A        B\n<none>   x\n');
  t.end();
});

t.test('labels print sorted by key as key=value pairs', (t) => {
  t.equal(labelText({ site: 'a', role: 'camera' }), 'role=camera,site=a');
  t.equal(labelText(undefined), '');
  t.end();
});
