import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The Apache Kafka Java consumer, unchanged, in a group (classic protocol): prints
 * "ASSIGNED p,p,..." after every rebalance and "RECORD <partition> <offset> <key>" per record,
 * committing as it goes; leaves the group cleanly on SIGTERM. Usage: BOOTSTRAP TOPIC GROUP
 */
public class GroupConsumer {
  public static void main(String[] args) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, args[2]);
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, "200");
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
    Thread main = Thread.currentThread();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      consumer.wakeup();
      try {
        main.join();
      } catch (InterruptedException ignored) {
      }
    }));
    consumer.subscribe(List.of(args[1]), new ConsumerRebalanceListener() {
      public void onPartitionsRevoked(Collection<TopicPartition> partitions) {}

      public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        TreeSet<Integer> owned = new TreeSet<>();
        for (TopicPartition tp : consumer.assignment()) owned.add(tp.partition());
        System.out.println("ASSIGNED " + String.join(",", owned.stream().map(String::valueOf).toList()));
        System.out.flush();
      }
    });
    try {
      while (true) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          System.out.println("RECORD " + r.partition() + " " + r.offset() + " " + r.key());
        }
        System.out.flush();
      }
    } catch (WakeupException e) {
      // shutting down
    } finally {
      consumer.close();
    }
  }
}
