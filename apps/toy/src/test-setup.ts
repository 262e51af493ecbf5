// Vitest setup: the tests train on WebAssembly (plain JavaScript where it is unavailable), as the app.
import { useNodeBackend } from '@rotograd/backend-node';

await useNodeBackend({ prefer: ['wasm', 'cpu'] });
