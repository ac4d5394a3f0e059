// tsc copies only TypeScript; the protobuf schema is read at run time beside its codec, and
// the firmware profiles beside agent/.
import { cpSync, mkdirSync } from 'node:fs';

mkdirSync('dist/shared/proto', { recursive: true });
cpSync('shared/proto/flotilla.proto', 'dist/shared/proto/flotilla.proto');
cpSync('firmware-profiles', 'dist/firmware-profiles', { recursive: true });
