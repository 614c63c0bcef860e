// The contract's public surface for hosts (main/, src/server/, src/cli/): the renderer uses types.ts only.
export { createDispatcher, isMethod, type Dispatcher } from './dispatcher.ts';
export { toPlainJson, type JsonValue, type Jsonified } from './plain-json.ts';
export { demoLocation, describeDemo, ensureDemoArchive, resolveWorkspace, type DemoSize } from './workspace.ts';
export * from './types.ts';
