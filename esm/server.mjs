// ESM entry of the HTTP server (kept out of the main entry so detector users do not load fastify).
import server from '../dist/lib/server/app.js';

export const { createServer, retinafaceRoutes, closeWithDeadline, HttpError } = server;
export default server;
