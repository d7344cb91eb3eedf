/**
 * A detector and an HTTP app over it, listening on 127.0.0.1 at a free port, with raw connections to it; the test's
 * teardown destroys the connections, then closes the app, then the detector.
 */
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { Detector, type DetectorOptions } from '../../lib';
import { createServer, type ServerOptions } from '../../lib/server/app';
import { RawConnection } from './raw-http';
import { MODEL_DYNAMIC } from './shared';

export interface ListeningServer {
  detector: Detector;
  app: FastifyInstance;
  port: number;
  /** A new raw connection to the app, closed at teardown. */
  connect(): Promise<RawConnection>;
}

/** `makeApp` builds the app over the detector (e.g. your own fastify app with the routes mounted). */
export async function listeningApp(
  t: Test,
  makeApp: (detector: Detector) => Promise<FastifyInstance>,
  detectorOptions: DetectorOptions = {},
): Promise<ListeningServer> {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, ...detectorOptions });
  const app = await makeApp(detector);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const connections: RawConnection[] = [];
  t.teardown(async () => {
    for (const c of connections) c.destroy();
    await app.close();
    await detector.close();
  });
  const connect = async () => {
    const c = await RawConnection.open(port);
    connections.push(c);
    return c;
  };
  return { detector, app, port, connect };
}

/** The library's own server (createServer) over a detector of MODEL_DYNAMIC. */
export function listening(
  t: Test,
  serverOptions: Partial<ServerOptions> = {},
  detectorOptions: DetectorOptions = {},
): Promise<ListeningServer> {
  return listeningApp(t, (detector) => createServer({ detector, ...serverOptions }), detectorOptions);
}
