// End-to-end latency at a fixed rate through the Apache Kafka Java client, for bench:vs-kafka.
// Kafka's own EndToEndLatency tool sends one record and waits for it before the next, so it
// cannot hold 5,000 records/s; this is that tool's measurement at a rate: a producer sends
// records on schedule (each carrying its send time), a consumer in the same JVM (one clock)
// long-polls the partition and records receive time minus send time.
//
//   java -cp '.tools/kafka/libs/*' bench/java/EndToEndAtRate.java \
//        BOOTSTRAP TOPIC RECORDS RECORD_SIZE RATE ACKS WARMUP
// prints one JSON line: {"records":N,"p50Ms":..,"p99Ms":..,"p999Ms":..}
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class EndToEndAtRate {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    int records = Integer.parseInt(args[2]);
    int size = Math.max(8, Integer.parseInt(args[3]));
    int rate = Integer.parseInt(args[4]);
    String acks = args[5];
    int warmup = Integer.parseInt(args[6]);

    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("acks", acks);
    pp.put("linger.ms", "0");
    KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(pp, new ByteArraySerializer(), new ByteArraySerializer());

    Properties cp = new Properties();
    cp.put("bootstrap.servers", bootstrap);
    cp.put("enable.auto.commit", "false");
    cp.put("fetch.min.bytes", "1");
    KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(cp, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    TopicPartition tp = new TopicPartition(topic, 0);
    consumer.assign(List.of(tp));
    consumer.seekToEnd(List.of(tp));
    consumer.position(tp);

    double[] latencies = new double[records];
    Thread reader =
        new Thread(
            () -> {
              int received = 0;
              while (received < records) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                  long sent = ByteBuffer.wrap(r.value()).getLong(0);
                  if (received < records) latencies[received++] = (System.nanoTime() - sent) / 1e6;
                }
              }
            });
    reader.start();

    long start = System.nanoTime();
    for (int i = 0; i < records; i++) {
      long due = start + (long) (i * 1e9 / rate);
      long wait = due - System.nanoTime();
      if (wait > 0) LockSupport.parkNanos(wait);
      byte[] value = new byte[size];
      ByteBuffer.wrap(value).putLong(0, System.nanoTime());
      producer.send(new ProducerRecord<>(topic, 0, null, value));
    }
    reader.join(60_000);
    producer.close();
    consumer.close();

    double[] kept = Arrays.copyOfRange(latencies, Math.min(warmup, records), records);
    Arrays.sort(kept);
    System.out.printf(
        "{\"records\":%d,\"p50Ms\":%.3f,\"p99Ms\":%.3f,\"p999Ms\":%.3f}%n",
        kept.length, q(kept, 0.5), q(kept, 0.99), q(kept, 0.999));
  }

  static double q(double[] sorted, double p) {
    if (sorted.length == 0) return Double.NaN;
    return sorted[Math.min(sorted.length - 1, (int) Math.floor(p * sorted.length))];
  }
}
