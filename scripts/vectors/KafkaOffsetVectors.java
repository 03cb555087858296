// Randomized differential vectors for the bytes Kafka Connect writes to offset.storage.topic: the
// key ["<connector>",{partition}] and the value {offset}, serialized as OffsetStorageWriter does
// (JsonConverter, schemas.enable=false) from HashMaps with random keys and values. Each line:
//   {"connector":"…","partition":[[key,type,value],…],"offset":[[key,type,value],…],"key":"<bytes>","value":"<bytes>"}
// (entries in insertion order; type: string|long|int|boolean|null|map, a map's value its entries).
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.kafka.connect.json.JsonConverter;

public class KafkaOffsetVectors {
    static final Random R = new Random(20261130L);
    static final String[] NAMES = {"protocol", "table", "query", "server", "file", "filename", "position", "lsn", "txId", "ts_usec",
        "incrementing", "timestamp", "timestamp_nanos", "snapshot", "db", "schema", "gtid", "binlog", "row", "event"};

    static String randomKey() {
        if (R.nextInt(3) > 0) return NAMES[R.nextInt(NAMES.length)] + (R.nextInt(4) == 0 ? String.valueOf(R.nextInt(100)) : "");
        StringBuilder b = new StringBuilder();
        int n = 1 + R.nextInt(12);
        for (int i = 0; i < n; i++) {
            int k = R.nextInt(10);
            b.append(k < 7 ? (char) ('a' + R.nextInt(26)) : k < 9 ? (char) ('A' + R.nextInt(26)) : (char) (0x00e0 + R.nextInt(300)));
        }
        return b.toString();
    }

    static Object randomValue(int depth, List<Object> typed) {
        switch (R.nextInt(depth > 1 ? 5 : 6)) {
            case 0: { String s = randomKey() + "/" + R.nextInt(1000); typed.add("string"); typed.add(s); return s; }
            case 1: { long v = R.nextLong() >> R.nextInt(64); typed.add("long"); typed.add(v); return v; }
            case 2: { int v = R.nextInt(); typed.add("int"); typed.add(v); return v; }
            case 3: { boolean v = R.nextBoolean(); typed.add("boolean"); typed.add(v); return v; }
            case 4: { typed.add("null"); typed.add(null); return null; }
            default: {
                List<Object> entries = new ArrayList<>();
                Map<String, Object> m = randomMap(depth + 1, entries);
                typed.add("map"); typed.add(entries); return m;
            }
        }
    }

    static Map<String, Object> randomMap(int depth, List<Object> entries) {
        Map<String, Object> m = new HashMap<>();
        int n = 1 + R.nextInt(depth > 1 ? 3 : 14);
        for (int i = 0; i < n; i++) {
            String k = randomKey();
            if (m.containsKey(k)) continue;
            List<Object> typed = new ArrayList<>();
            m.put(k, randomValue(depth, typed));
            List<Object> entry = new ArrayList<>();
            entry.add(k); entry.add(typed.get(0)); entry.add(typed.get(1));
            entries.add(entry);
        }
        return m;
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(args[0]), true, "UTF-8");
        JsonConverter keys = new JsonConverter();
        keys.configure(Collections.singletonMap("schemas.enable", "false"), true);
        JsonConverter values = new JsonConverter();
        values.configure(Collections.singletonMap("schemas.enable", "false"), false);
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        for (int i = 0; i < 1500; i++) {
            String connector = i % 5 == 0 ? "jdbc-source-" + R.nextInt(9) : randomKey();
            List<Object> partitionEntries = new ArrayList<>();
            Map<String, Object> partition = randomMap(1, partitionEntries);
            List<Object> offsetEntries = new ArrayList<>();
            Map<String, Object> offset = randomMap(1, offsetEntries);
            byte[] key = keys.fromConnectData(connector, null, Arrays.asList(connector, partition));
            byte[] value = values.fromConnectData(connector, null, offset);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("connector", connector);
            line.put("partition", partitionEntries);
            line.put("offset", offsetEntries);
            line.put("key", new String(key, StandardCharsets.UTF_8));
            line.put("value", new String(value, StandardCharsets.UTF_8));
            out.println(mapper.writeValueAsString(line));
        }
        out.close();
    }
}
