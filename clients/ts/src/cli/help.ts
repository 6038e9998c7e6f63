/** `tributary --help` text. */
export const HELP = `tributary: the command line of Tributary, a distributed commit log.

Usage: tributary <command> [options]      (every command takes --bootstrap HOST:PORT[,HOST:PORT]
                                           default 127.0.0.1:9092, and --json for scripts)

Topics
  topics create NAME [--partitions N] [--replication-factor R] [--config k=v ...] [--if-not-exists]
  topics list
  topics describe [NAME]          partition, leader, replicas, ISR, earliest and latest offsets
  topics delete NAME
  topics alter NAME [--partitions N] [--config k=v ...] [--delete-config k ...]

Records
  produce TOPIC [--key-separator SEP] [--acks 0|1|all] [--compression none|gzip|lz4|zstd] [--partition P]
                                  one record per stdin line; exits once every record is acknowledged
  consume TOPIC [--group G] [--from-beginning | --offset N --partition P | --from-timestamp T]
                [--max-messages N] [--timeout-ms T] [--format value|json] [--print-key]
                                  follows the topic until Ctrl-C (committing) unless limited

Groups
  groups list
  groups describe G               members, assignment, committed offset, log end offset, lag
  groups reset-offsets G --topic T (--to-earliest | --to-latest | --to-offset N | --to-datetime ISO
                | --shift-by N) [--partitions 0,1] [--execute]      a dry run without --execute
  groups delete G

Cluster
  cluster describe                controller, brokers, coordinators, under-replicated partitions

Performance
  perf produce TOPIC --num-records N --record-size B [--throughput R|-1] [--acks ...] [--compression ...]
  perf consume TOPIC --messages N [--group G] [--timeout-ms T]

Exit status: 0 on success, 1 on an error (one line on stderr says why and what to do), 2 on bad usage.`;
