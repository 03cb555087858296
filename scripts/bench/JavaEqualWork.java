// The Java side of `make bench-ratio`: Kafka 4.3's own JsonConverter and transformations doing the
// same work as Benchmarks/Benchmarks/EqualWork (the same 4096 records, read from the pool file the
// Swift side writes, reused round-robin; outputs dropped; deserialized values checked the same way).
//
//   java JavaEqualWork <pool file> <workload> <seconds>
//
// Workloads: serialize-schemas, serialize-schemaless, deserialize-schemas, deserialize-schemaless,
// chain (the six transformations applied one after the other, as Kafka's TransformationChain does),
// avro-serialize, avro-deserialize (Confluent's AvroConverter 7.0.16 with a cached mock registry).
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.transforms.Transformation;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

public class JavaEqualWork {
    interface Work { long run(int i) throws Exception; }

    static JsonConverter converter(boolean schemas) {
        JsonConverter c = new JsonConverter();
        c.configure(Map.of("schemas.enable", Boolean.toString(schemas)), false);
        return c;
    }

    @SuppressWarnings("unchecked")
    static Transformation<SourceRecord> transformation(String type, Map<String, String> config) throws Exception {
        Transformation<SourceRecord> t = (Transformation<SourceRecord>) Class.forName(type).getDeclaredConstructor().newInstance();
        t.configure(config);
        return t;
    }

    static io.confluent.connect.avro.AvroConverter avroConverter() {
        io.confluent.connect.avro.AvroConverter c = new io.confluent.connect.avro.AvroConverter(
            new io.confluent.kafka.schemaregistry.client.MockSchemaRegistryClient());
        c.configure(Map.of("schema.registry.url", "mock://bench"), false);
        return c;
    }

    static double measure(Work work, double seconds, long[] sinkOut) throws Exception {
        long sink = 0;
        int i = 0;
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        while (true) {
            for (int k = 0; k < 1024; k++) { sink += work.run(i); i++; }
            if (System.nanoTime() >= deadline) break;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        sinkOut[0] = sink;
        return i / elapsed;
    }

    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        String workload = args[1];
        double seconds = Double.parseDouble(args[2]);
        JsonConverter reader = converter(true);
        Schema[] schemas = new Schema[4096];
        Object[] values = new Object[4096];
        for (int i = 0; i < 4096; i++) {
            SchemaAndValue sv = reader.toConnectData("orders", lines.get(i).getBytes(StandardCharsets.UTF_8));
            schemas[i] = sv.schema();
            values[i] = sv.value();
        }
        Work work;
        long[] sink = new long[1];
        switch (workload) {
            case "serialize-schemas":
            case "serialize-schemaless": {
                JsonConverter c = converter(workload.equals("serialize-schemas"));
                work = i -> c.fromConnectData("orders", schemas[i & 4095], values[i & 4095]).length;
                break;
            }
            case "deserialize-schemas":
            case "deserialize-schemaless": {
                JsonConverter c = converter(workload.equals("deserialize-schemas"));
                byte[][] encoded = new byte[4096][];
                for (int i = 0; i < 4096; i++) encoded[i] = c.fromConnectData("orders", schemas[i], values[i]);
                work = i -> {
                    Object v = c.toConnectData("orders", encoded[i & 4095]).value();
                    return (v instanceof Struct || v instanceof Map) ? 1 : 0;
                };
                break;
            }
            case "chain": {
                String T = "org.apache.kafka.connect.transforms.";
                List<Transformation<SourceRecord>> chain = List.of(
                    transformation(T + "InsertField$Value", Map.of("static.field", "source", "static.value", "shop", "topic.field", "topic")),
                    transformation(T + "ReplaceField$Value", Map.of("exclude", "note", "renames", "customer:customer_name")),
                    transformation(T + "MaskField$Value", Map.of("fields", "email")),
                    transformation(T + "Cast$Value", Map.of("spec", "quantity:int64,paid:string")),
                    transformation(T + "TimestampRouter", Map.of("topic.format", "${topic}-${timestamp}", "timestamp.format", "yyyyMMdd")),
                    transformation(T + "ValueToKey", Map.of("fields", "id")));
                SourceRecord[] records = new SourceRecord[4096];
                for (int i = 0; i < 4096; i++) {
                    records[i] = new SourceRecord(Map.of("datagen", "0"), Map.of("iteration", (long) i), "orders", null, null, null,
                        schemas[i], values[i], 1_700_000_000_000L + i * 1000L);
                }
                work = i -> {
                    SourceRecord r = records[i & 4095];
                    for (Transformation<SourceRecord> t : chain) { r = t.apply(r); if (r == null) return 0; }
                    return r.topic().length();
                };
                break;
            }
            case "avro-serialize": {
                // Confluent's AvroConverter 7.0.16, registry cached (MockSchemaRegistryClient).
                io.confluent.connect.avro.AvroConverter c = avroConverter();
                work = i -> c.fromConnectData("orders", schemas[i & 4095], values[i & 4095]).length;
                break;
            }
            case "avro-deserialize": {
                io.confluent.connect.avro.AvroConverter c = avroConverter();
                byte[][] encoded = new byte[4096][];
                for (int i = 0; i < 4096; i++) encoded[i] = c.fromConnectData("orders", schemas[i], values[i]);
                work = i -> (c.toConnectData("orders", encoded[i & 4095]).value() instanceof Struct) ? 1 : 0;
                break;
            }
            default:
                throw new IllegalArgumentException("unknown workload " + workload);
        }
        measure(work, Math.max(2, seconds), sink);  // warm-up: JIT compilation
        double rate = measure(work, seconds, sink);
        if (sink[0] <= 0) throw new IllegalStateException("no work done");
        System.out.println(workload + "\t" + (long) rate);
    }
}
