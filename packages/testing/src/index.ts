export * from './fixtures';
export * from './replay';
