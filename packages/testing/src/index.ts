export * from './fixtures';
export * from './replay';
export * from './tolerance';
