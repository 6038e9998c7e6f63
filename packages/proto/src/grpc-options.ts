import type { ChannelOptions } from '@grpc/grpc-js';

/** Largest gRPC message either side sends or accepts: 64 MiB (a produce request or fetch response of many partitions). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * HTTP/2 flow-control window: 8 MiB. With grpc's 64 KiB default, streaming 64 KiB-1 MiB
 * messages peaks near 240 MB/s on our machines; with a large window, 550-770 MB/s.
 */
export const FLOW_CONTROL_WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * Channel options for every Tributary client (producer, consumer, admin, broker-to-broker):
 * - a large HTTP/2 flow-control window, so batches stream at disk speed;
 * - 64 MiB message limits, matching SERVER_OPTIONS;
 * - keepalive pings every 30 s (10 s to answer), also while idle, so a dead broker or a
 *   silently dropped connection is noticed before the next request waits on it;
 * - reconnect backoff from 250 ms up to 10 s rather than grpc's 1 s..120 s: a restarted broker
 *   is back within seconds, and the client's own retry helper paces retries.
 */
export const GRPC_CHANNEL_OPTIONS: Readonly<ChannelOptions> = Object.freeze({
  'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 10_000,
});

/**
 * Options for `new grpc.Server(SERVER_OPTIONS)` in every Tributary service: the same 64 MiB
 * message limits as the clients, and keepalive pings every 60 s (20 s to answer) so streams of
 * vanished clients (a consumer's GroupSession, a follower's ReplicaFetch) are released.
 *
 * grpc-js 1.14 servers ignore `grpc-node.flow_control_window`: the server's receive window
 * (what limits produce throughput) must be raised on each HTTP/2 session to
 * FLOW_CONTROL_WINDOW_BYTES (`session.setLocalWindowSize`, and `initialWindowSize` in
 * `session.settings`).
 */
export const SERVER_OPTIONS: Readonly<ChannelOptions> = Object.freeze({
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
});
