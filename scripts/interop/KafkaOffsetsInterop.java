// Reads and writes source offsets in an offset.storage.topic with Kafka Connect's own classes
// (KafkaOffsetBackingStore, OffsetStorageReaderImpl, OffsetStorageWriter — the code path of a Java
// distributed worker), so that ConnectKit's tests can show offsets move between Java workers and ours.
//   read  <bootstrap> <topic> <connector> <partition JSON>                 prints the offset JSON (or null)
//   write <bootstrap> <topic> <connector> <partition JSON> <offset JSON>   commits that offset
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.runtime.distributed.DistributedConfig;
import org.apache.kafka.connect.storage.*;
import org.apache.kafka.connect.util.TopicAdmin;
import com.fasterxml.jackson.databind.ObjectMapper;

public class KafkaOffsetsInterop {
    public static void main(String[] args) throws Exception {
        String mode = args[0], bootstrap = args[1], topic = args[2], connector = args[3];
        ObjectMapper mapper = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> partition = mapper.readValue(args[4], Map.class);
        Map<String, String> props = new HashMap<>();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(DistributedConfig.GROUP_ID_CONFIG, "connectkit-interop");
        props.put(DistributedConfig.OFFSET_STORAGE_TOPIC_CONFIG, topic);
        props.put(DistributedConfig.OFFSET_STORAGE_REPLICATION_FACTOR_CONFIG, "1");
        props.put(DistributedConfig.OFFSET_STORAGE_PARTITIONS_CONFIG, "25");
        props.put(DistributedConfig.CONFIG_TOPIC_CONFIG, "connect-configs");
        props.put(DistributedConfig.STATUS_STORAGE_TOPIC_CONFIG, "connect-status");
        props.put("key.converter", JsonConverter.class.getName());
        props.put("value.converter", JsonConverter.class.getName());
        DistributedConfig config = new DistributedConfig(props);
        JsonConverter internal = new JsonConverter();
        internal.configure(Map.of("schemas.enable", "false"), true);
        JsonConverter internalValue = new JsonConverter();
        internalValue.configure(Map.of("schemas.enable", "false"), false);
        Map<String, Object> adminProps = new HashMap<>(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        KafkaOffsetBackingStore store = new KafkaOffsetBackingStore(() -> new TopicAdmin(adminProps), () -> "connectkit-interop", internal);
        store.configure(config);
        store.start();
        try {
            if (mode.equals("read")) {
                OffsetStorageReaderImpl reader = new OffsetStorageReaderImpl(store, connector, internal, internalValue);
                Map<String, Object> offset = reader.offset(partition);
                System.out.println(offset == null ? "null" : mapper.writeValueAsString(new TreeMap<>(offset)));
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> offset = mapper.readValue(args[5], Map.class);
                OffsetStorageWriter writer = new OffsetStorageWriter(store, connector, internal, internalValue);
                writer.offset(partition, offset);
                writer.beginFlush(10, TimeUnit.SECONDS);
                writer.doFlush((error, result) -> { if (error != null) error.printStackTrace(); }).get(30, TimeUnit.SECONDS);
                System.out.println("written");
            }
        } finally {
            store.stop();
        }
    }
}
