export { openStore, schemaVersion, type Database, type OpenedStore, type OpenOptions, type ReplacedDatabase } from './database.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { migrations, type Migration } from './migrations.js';
