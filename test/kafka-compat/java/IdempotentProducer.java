import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Apache Kafka Java producer, unchanged, with idempotence and acks=all: sends COUNT records
 * (key k-i, value v-i, header h=x-i, timestamp BASE+i) to one partition and prints
 * "OFFSET <i> <offset>" for each acknowledgement. Usage: BOOTSTRAP TOPIC PARTITION COUNT BASE_TS
 */
public class IdempotentProducer {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    String topic = args[1];
    int partition = Integer.parseInt(args[2]);
    int count = Integer.parseInt(args[3]);
    long base = Long.parseLong(args[4]);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        ProducerRecord<String, String> record =
            new ProducerRecord<>(topic, partition, base + i, "k-" + i, "v-" + i);
        record.headers().add("h", ("x-" + i).getBytes(StandardCharsets.UTF_8));
        sent.add(producer.send(record));
      }
      for (int i = 0; i < count; i++) System.out.println("OFFSET " + i + " " + sent.get(i).get().offset());
    }
  }
}
