export * from '../dist/lib/server/app.js';
