/** Prometheus metrics of one server: its own registry, so several servers (or the user's app) never collide. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Detector } from '../detector';

export interface ServerMetrics {
  registry: Registry;
  requestSeconds: Histogram<'method' | 'route' | 'status'>;
  errors: Counter<'code'>;
  /** POST /detect requests whose body has arrived and whose answer has not been sent yet. */
  detectInFlight: Gauge;
  /** Stops observing the detector. */
  detach(): void;
}

export function createMetrics(detector: Detector, registry = new Registry()): ServerMetrics {
  const requestSeconds = new Histogram({
    name: 'retinaface_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'retinaface_errors_total',
    help: 'Failed detection requests by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'retinaface_batch_size',
    help: 'Images per inference',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [registry],
  });
  const inferenceSeconds = new Histogram({
    name: 'retinaface_inference_duration_seconds',
    help: 'Network time per batch',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  // The scaling signals (a Kubernetes HPA on a Pods metric through prometheus-adapter): work held by this replica.
  const detectInFlight = new Gauge({
    name: 'retinaface_detect_requests_in_flight',
    help: 'POST /detect requests received and not yet answered (decoding, queued or in inference)',
    registers: [registry],
  });
  new Gauge({
    name: 'retinaface_queue_depth',
    help: 'Calls waiting for a batch',
    registers: [registry],
    collect() {
      this.set(detector.stats().queueDepth);
    },
  });
  const detach = detector.onBatch((event) => {
    batchSize.observe(event.size);
    inferenceSeconds.observe(event.inferenceMs / 1000);
  });
  return { registry, requestSeconds, errors, detectInFlight, detach };
}
