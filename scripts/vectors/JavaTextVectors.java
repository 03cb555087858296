// Randomized differential vectors for the pieces of Java that ConnectKit reimplements, produced by
// running Kafka 4.3's own classes on many random inputs (a fixed seed, so the output is stable):
//
//   {"kind":"header","input","result":{"schema","value"}|null,"printed"|null,"error"?}
//       SimpleHeaderConverter.toConnectHeader (Values.parseString), then fromConnectHeader of the result.
//   {"kind":"regex","regex","topic","replacement","result"|null,"error"?}
//       RegexRouter: Pattern.matcher(topic).matches() then replaceFirst(replacement); result null = unchanged.
//   {"kind":"fileSource","hex","lines":[{"line","position"}]}
//       FileStreamSourceTask.poll over a file with these bytes (batch.size 10000).
//   {"kind":"toString","json","text"}
//       String.valueOf of the value JsonConverter (schemas.enable) reads from json: what FileStreamSinkTask
//       prints (Struct.toString, HashMap order, java.util.Date.toString in UTC, Java's number texts).
//
// Reuses the schema/value spec writers of JsonConverterVectors.

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.file.FileStreamSourceTask;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTaskContext;
import org.apache.kafka.connect.storage.OffsetStorageReader;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.apache.kafka.connect.transforms.RegexRouter;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;
import java.util.regex.Pattern;

public class JavaTextVectors {
    static PrintStream out;
    static int count = 0;
    static final Random R = new Random(20261130L);
    static final SimpleHeaderConverter HEADERS = new SimpleHeaderConverter();

    static void emit(ObjectNode o) throws Exception {
        out.println(JsonConverterVectors.MAPPER.writeValueAsString(o));
        count++;
    }

    static <T> T pick(List<T> items) { return items.get(R.nextInt(items.size())); }

    // ------------------------------------------------------------------ headers (Values.parseString)

    static String number() {
        switch (R.nextInt(12)) {
            case 0: return Integer.toString(R.nextInt(256) - 128);
            case 1: return Integer.toString(R.nextInt(70000) - 35000);
            case 2: return Long.toString(R.nextLong());
            case 3: return (R.nextBoolean() ? "-" : "") + "9223372036854775" + (800 + R.nextInt(20));
            case 4: return R.nextInt(1000) + "." + R.nextInt(1000);
            case 5: return (R.nextBoolean() ? "+" : "-") + R.nextInt(100) + "." + (R.nextBoolean() ? "0" : "5");
            case 6: return (R.nextInt(9) + 1) + "e" + (R.nextInt(60) - 20);
            case 7: return (R.nextInt(9) + 1) + "." + R.nextInt(100) + "E" + pick(List.of("38", "39", "308", "309", "-45", "-50", "19", "18", "-1", "+3"));
            case 8: return pick(List.of("0", "-0", "+0", "0.0", "1.", "01", "100e-2", "2.50e1", "3.4028235677973366e38", "1e19", "12345678901234567890", "12345678901234567890.5", "1.5e400", "-.5", "+.5", "1e2147483648"));
            case 9: return Double.toString(R.nextDouble() * Math.pow(10, R.nextInt(40) - 20));
            case 10: return Float.toString(R.nextFloat() * 1000);
            default: return Integer.toString(R.nextInt(10));
        }
    }

    static String temporal() {
        String y = String.format("%04d", 1000 + R.nextInt(9000)), mo = String.format("%02d", R.nextInt(14)), d = String.format("%02d", R.nextInt(34));
        String h = String.format("%02d", R.nextInt(26)), mi = String.format("%02d", R.nextInt(61)), s = String.format("%02d", R.nextInt(61)), ms = String.format("%03d", R.nextInt(1000));
        switch (R.nextInt(8)) {
            case 0: return y + "-" + mo + "-" + d;
            case 1: return h + ":" + mi + ":" + s + "." + ms + "Z";
            case 2: return y + "-" + mo + "-" + d + "T" + h + ":" + mi + ":" + s + "." + ms + "Z";
            case 3: return h + "\\:" + mi + "\\:" + s + "." + ms + "Z";
            case 4: return y + "-" + mo + "-" + d + "T" + h + ":" + mi + ":" + s + "Z";
            case 5: return y + "-" + R.nextInt(13) + "-" + R.nextInt(40);
            case 6: return h + ":" + mi + ":" + s + "Z";
            default: return y + "-" + mo + "-" + d + "T" + h + ":" + mi + ":" + s + "." + ms + "+01:00";
        }
    }

    static String quoted() {
        StringBuilder sb = new StringBuilder("\"");
        int n = R.nextInt(6);
        for (int i = 0; i < n; i++) sb.append(pick(List.of("a", "b", " ", ",", ":", "[", "]", "{", "}", "\\\"", "\\,", "\\\\", "é", "x y", "2024-01-01", "1")));
        return sb.append("\"").toString();
    }

    static String ws() { return pick(List.of("", "", "", " ", "\t", "  ")); }

    static String element(int depth) {
        int k = R.nextInt(depth > 2 ? 6 : 9);
        switch (k) {
            case 0: case 1: return number();
            case 2: return pick(List.of("true", "false", "null"));
            case 3: return quoted();
            case 4: return temporal();
            case 5: return pick(List.of("word", "a b", "é", ""));
            case 6: case 7: {
                StringBuilder sb = new StringBuilder("[");
                int n = R.nextInt(4);
                for (int i = 0; i < n; i++) { if (i > 0) sb.append(pick(List.of(",", ",", ", ", ",,", " "))); sb.append(ws()).append(element(depth + 1)).append(ws()); }
                if (R.nextInt(8) == 0) sb.append(",");
                if (R.nextInt(12) != 0) sb.append("]");
                return sb.toString();
            }
            default: {
                StringBuilder sb = new StringBuilder("{");
                int n = R.nextInt(4);
                for (int i = 0; i < n; i++) {
                    if (i > 0) sb.append(pick(List.of(",", ",", " ", ", ")));
                    sb.append(ws()).append(R.nextInt(4) == 0 ? number() : quoted()).append(ws()).append(R.nextInt(15) == 0 ? "" : ":").append(ws()).append(element(depth + 1));
                }
                if (R.nextInt(12) != 0) sb.append("}");
                return sb.toString();
            }
        }
    }

    static String headerInput() {
        switch (R.nextInt(10)) {
            case 0: return number();
            case 1: return temporal();
            case 2: return ws() + element(0) + ws();
            case 3: return element(0) + pick(List.of(",2", " x", "{}", ":1", "]"));
            case 4: return quoted();
            default: return element(0);
        }
    }

    static void header(String input) throws Exception {
        ObjectNode o = JsonConverterVectors.F.objectNode();
        o.put("kind", "header");
        o.put("input", input);
        try {
            SchemaAndValue sv = HEADERS.toConnectHeader("topic", "h", input.getBytes(StandardCharsets.UTF_8));
            if (sv == null) {
                o.putNull("result");
                o.putNull("printed");
            } else {
                ObjectNode r = JsonConverterVectors.F.objectNode();
                r.set("schema", JsonConverterVectors.schemaSpec(sv.schema()));
                r.set("value", JsonConverterVectors.valueSpec(sv.schema(), sv.value()));
                o.set("result", r);
                byte[] printed = HEADERS.fromConnectHeader("topic", "h", sv.schema(), sv.value());
                if (printed == null) o.putNull("printed"); else o.put("printed", new String(printed, StandardCharsets.UTF_8));
            }
        } catch (Throwable e) {
            o.put("error", e.getClass().getName() + ": " + e.getMessage());
        }
        emit(o);
    }

    // ------------------------------------------------------------------ toString (FileStreamSink)

    static final org.apache.kafka.connect.json.JsonConverter JSON = new org.apache.kafka.connect.json.JsonConverter();

    static String text() {
        return pick(List.of("a", "b", "id", "name", "x y", "é", "日本", "Aa", "BB", "", "key" + R.nextInt(100), "\u00df", "k" + R.nextInt(10), "Struct{", "null", "😀"));
    }

    static Schema schema(int depth) {
        SchemaBuilder b;
        switch (R.nextInt(depth > 2 ? 12 : 16)) {
            case 0: b = SchemaBuilder.int8(); break;
            case 1: b = SchemaBuilder.int16(); break;
            case 2: b = SchemaBuilder.int32(); break;
            case 3: b = SchemaBuilder.int64(); break;
            case 4: b = SchemaBuilder.float32(); break;
            case 5: b = SchemaBuilder.float64(); break;
            case 6: b = SchemaBuilder.bool(); break;
            case 7: case 8: b = SchemaBuilder.string(); break;
            case 9: b = Decimal.builder(R.nextInt(5)); break;
            case 10: b = pick(List.of(org.apache.kafka.connect.data.Date.builder(), Time.builder(), Timestamp.builder())); break;
            case 11: b = SchemaBuilder.string(); break;
            case 12: b = SchemaBuilder.array(schema(depth + 1)); break;
            case 13: b = SchemaBuilder.map(pick(List.of(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA, Schema.INT32_SCHEMA, Schema.INT64_SCHEMA, Schema.INT8_SCHEMA, Schema.BOOLEAN_SCHEMA)), schema(depth + 1)); break;
            default: {
                b = SchemaBuilder.struct().name("S" + R.nextInt(3));
                int n = 1 + R.nextInt(4);
                Set<String> used = new HashSet<>();
                for (int i = 0; i < n; i++) { String f = "f" + R.nextInt(8); if (used.add(f)) b.field(f, schema(depth + 1)); }
            }
        }
        if (depth > 0 && R.nextInt(3) == 0) b.optional();
        return b.build();
    }

    static Object value(Schema s, int depth) {
        if (s.isOptional() && R.nextInt(4) == 0) return null;
        if (s.name() != null) {
            switch (s.name()) {
                case Decimal.LOGICAL_NAME: return new java.math.BigDecimal(java.math.BigInteger.valueOf(R.nextLong() % 10_000_000L), Integer.parseInt(s.parameters().get("scale")));
                case org.apache.kafka.connect.data.Date.LOGICAL_NAME: return new java.util.Date((long) (R.nextInt(40000) - 10000) * 86_400_000L);
                case Time.LOGICAL_NAME: return new java.util.Date(R.nextInt(86_400_000));
                case Timestamp.LOGICAL_NAME: return new java.util.Date(R.nextLong() % 5_000_000_000_000L);
                default: break;
            }
        }
        switch (s.type()) {
            case INT8: return (byte) R.nextInt();
            case INT16: return (short) R.nextInt();
            case INT32: return R.nextInt(3) == 0 ? R.nextInt(100) : R.nextInt();
            case INT64: return R.nextInt(3) == 0 ? (long) R.nextInt(100) : R.nextLong();
            case FLOAT32: return pick(List.of(R.nextFloat() * 1000, (float) R.nextInt(100), 1.0E10f, 1.0E-5f, -0.0f));
            case FLOAT64: return pick(List.of(R.nextDouble() * 1e6, (double) R.nextInt(100), 1.0E21, 1.0E-4, R.nextGaussian()));
            case BOOLEAN: return R.nextBoolean();
            case STRING: return text();
            case ARRAY: {
                List<Object> l = new ArrayList<>();
                int n = R.nextInt(4);
                for (int i = 0; i < n; i++) l.add(value(s.valueSchema(), depth + 1));
                return l;
            }
            case MAP: {
                Map<Object, Object> m = new LinkedHashMap<>();
                int n = R.nextInt(14);
                for (int i = 0; i < n; i++) {
                    Object k;
                    switch (s.keySchema().type()) {
                        case INT32: k = R.nextInt(3) == 0 ? R.nextInt(64) : R.nextInt(); break;
                        case INT64: k = R.nextInt(3) == 0 ? (long) R.nextInt(64) : R.nextLong(); break;
                        case INT8: k = (byte) R.nextInt(); break;
                        case BOOLEAN: k = R.nextBoolean(); break;
                        default: k = text();
                    }
                    m.put(k, value(s.valueSchema(), depth + 1));
                }
                return m;
            }
            default: {
                Struct st = new Struct(s);
                for (Field f : s.fields()) st.put(f, value(f.schema(), depth + 1));
                return st;
            }
        }
    }

    static Object schemalessValue(int depth) {
        switch (R.nextInt(depth > 1 ? 5 : 7)) {
            case 0: return R.nextInt(3) == 0 ? (long) R.nextInt(100) : R.nextLong();
            case 1: return R.nextDouble() * 100;
            case 2: return text();
            case 3: return R.nextBoolean();
            case 4: return null;
            case 5: { List<Object> l = new ArrayList<>(); int n = R.nextInt(4); for (int i = 0; i < n; i++) l.add(schemalessValue(depth + 1)); return l; }
            default: { Map<Object, Object> m = new LinkedHashMap<>(); int n = R.nextInt(20); for (int i = 0; i < n; i++) m.put(text(), schemalessValue(depth + 1)); return m; }
        }
    }

    static void valueText(Schema s, Object v) throws Exception {
        byte[] json = JSON.fromConnectData("t", s, v);
        if (json == null) return;  // a null value: no record text
        SchemaAndValue back = JSON.toConnectData("t", json);
        ObjectNode o = JsonConverterVectors.F.objectNode();
        o.put("kind", "toString");
        o.put("json", new String(json, StandardCharsets.UTF_8));
        o.put("text", String.valueOf(back.value()));
        emit(o);
    }

    // ------------------------------------------------------------------ RegexRouter

    static String regexAtom(int depth, int[] groups, List<String> names) {
        switch (R.nextInt(depth > 2 ? 6 : 9)) {
            case 0: case 1: return pick(List.of("a", "b", "c", "1", "-", "_", "x", "ab", "orders"));
            case 2: return pick(List.of(".", "\\.", "[a-z]", "[0-9]", "[^.]", "\\d", "\\w", "[ab_-]", "[^a]"));
            case 3: return "";
            case 4: case 5: return pick(List.of("a", ".", "b"));
            case 6: {
                groups[0]++;
                return "(" + regex(depth + 1, groups, names) + ")";
            }
            case 7: {
                groups[0]++;
                String name = pick(List.of("n", "base", "t1", "db", "x"));
                if (names.contains(name)) return "(" + regex(depth + 1, groups, names) + ")";
                names.add(name);
                return "(?<" + name + ">" + regex(depth + 1, groups, names) + ")";
            }
            default: return "(?:" + regex(depth + 1, groups, names) + ")";
        }
    }

    static String regex(int depth, int[] groups, List<String> names) {
        StringBuilder sb = new StringBuilder();
        int n = 1 + R.nextInt(3);
        for (int i = 0; i < n; i++) {
            String atom = regexAtom(depth, groups, names);
            sb.append(atom);
            if (!atom.isEmpty() && R.nextInt(3) == 0) sb.append(pick(List.of("*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{0,2}?")));
        }
        if (depth < 2 && R.nextInt(6) == 0) sb.append("|").append(regex(depth + 1, groups, names));
        return sb.toString();
    }

    static String topic() {
        StringBuilder sb = new StringBuilder();
        int n = R.nextInt(10);
        for (int i = 0; i < n; i++) sb.append(pick(List.of("a", "b", "c", "1", "2", "-", "_", ".", "x", "orders", "ab")));
        return sb.toString();
    }

    static String replacement(List<String> names) {
        StringBuilder sb = new StringBuilder();
        int n = R.nextInt(5);
        for (int i = 0; i < n; i++) {
            switch (R.nextInt(10)) {
                case 0: case 1: sb.append("$").append(R.nextInt(4)); break;
                case 2: sb.append("$").append(R.nextInt(15)); break;
                case 3: sb.append("${").append(names.isEmpty() || R.nextBoolean() ? pick(List.of("n", "base", "nope", "1a", "", "x")) : pick(names)).append(R.nextInt(10) == 0 ? "" : "}"); break;
                case 4: sb.append(pick(List.of("\\$", "\\\\", "\\x", "\\1"))); break;
                case 5: sb.append(pick(List.of("$", "\\", "$x", "${na-me}", "$-1"))); break;
                default: sb.append(pick(List.of("copy", "-", "shop.", "x", "_v2", "."))); break;
            }
        }
        return sb.toString();
    }

    static void regexCase(String regex, String topic, String replacement) throws Exception {
        ObjectNode o = JsonConverterVectors.F.objectNode();
        o.put("kind", "regex");
        o.put("regex", regex);
        o.put("topic", topic);
        o.put("replacement", replacement);
        try {
            java.util.regex.Matcher m = Pattern.compile(regex).matcher(topic);
            if (m.matches()) o.put("result", m.replaceFirst(replacement)); else o.putNull("result");
        } catch (Throwable e) {
            o.putNull("result");
            o.put("error", e.getClass().getName() + ": " + e.getMessage());
        }
        emit(o);
    }

    // ------------------------------------------------------------------ FileStreamSourceTask lines

    static byte[] fileBytes() {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        int n = R.nextInt(20);
        for (int i = 0; i < n; i++) {
            byte[] piece;
            switch (R.nextInt(12)) {
                case 0: case 1: piece = new byte[]{'\n'}; break;
                case 2: piece = new byte[]{'\r'}; break;
                case 3: piece = new byte[]{'\r', '\n'}; break;
                case 4: piece = "é".getBytes(StandardCharsets.UTF_8); break;
                case 5: piece = "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8); break;
                case 6: piece = pick(List.of(new byte[]{(byte) 0xFF}, new byte[]{(byte) 0xED, (byte) 0xA0, (byte) 0x80}, new byte[]{(byte) 0xED, (byte) 0xA0, 'A'},
                        new byte[]{(byte) 0xC0, (byte) 0xAF}, new byte[]{(byte) 0xE0, (byte) 0x80, (byte) 0x80}, new byte[]{(byte) 0xF0, (byte) 0x9F, (byte) 0x98},
                        new byte[]{(byte) 0xE2, (byte) 0x28, (byte) 0xA1}, new byte[]{0x0B}, new byte[]{0x0C}, new byte[]{0})); break;
                default: piece = pick(List.of("a", "bc", "line", " ", "x y")).getBytes(StandardCharsets.UTF_8); break;
            }
            b.write(piece, 0, piece.length);
        }
        return b.toByteArray();
    }

    static void fileSource(byte[] bytes) throws Exception {
        Path p = Files.createTempFile("ck-vectors", ".txt");
        Files.write(p, bytes);
        FileStreamSourceTask task = new FileStreamSourceTask();
        task.initialize(new SourceTaskContext() {
            public Map<String, String> configs() { return Map.of(); }
            public org.apache.kafka.common.metrics.PluginMetrics pluginMetrics() { return null; }
            public OffsetStorageReader offsetStorageReader() {
                return new OffsetStorageReader() {
                    public <T> Map<String, Object> offset(Map<String, T> partition) { return null; }
                    public <T> Map<Map<String, T>, Map<String, Object>> offsets(Collection<Map<String, T>> partitions) { return Map.of(); }
                };
            }
        });
        task.start(Map.of("file", p.toString(), "topic", "t", "batch.size", "10000"));
        List<SourceRecord> records = task.poll();
        task.stop();
        Files.delete(p);
        ObjectNode o = JsonConverterVectors.F.objectNode();
        o.put("kind", "fileSource");
        StringBuilder hex = new StringBuilder();
        for (byte x : bytes) hex.append(String.format("%02x", x & 0xff));
        o.put("hex", hex.toString());
        ArrayNode lines = JsonConverterVectors.F.arrayNode();
        if (records != null) for (SourceRecord r : records) {
            ObjectNode l = JsonConverterVectors.F.objectNode();
            l.put("line", (String) r.value());
            l.put("position", (Long) r.sourceOffset().get("position"));
            lines.add(l);
        }
        o.set("lines", lines);
        emit(o);
    }

    public static void main(String[] args) throws Exception {
        out = new PrintStream(new java.io.FileOutputStream(args[0]), true, "UTF-8");
        HEADERS.configure(Collections.emptyMap());
        TimeZone.setDefault(TimeZone.getTimeZone("UTC"));

        String[] fixed = {"[1,2.5]", "[]", "{}", "[1,\"a\"]", "{\"a\":1,\"b\":2.5}", "1e3", "-0", "1.0", "12345678901234567890", "true", " 1 ", "\"quoted\"",
                "2024-01-01", "2024-01-01T00:00:00.000Z", "[1,[2]]", "{1:2}", "[null,1]", "1,2", "[null]", "true}", "[1,2,]", "[,1]", "{\"a\":1 \"b\":2}",
                "[\"x\\\"y\"]", "[\" \"]", "12:34:56Z", "12:34:56.789Z ", " 12:34:56.789Z", "[2024-01-01,5]", "[1.5,1e300]", "{\"a\":null}", "{\"a\":null,\"b\":1}",
                "", "  ", "null", "[1,9223372036854775807,1.5]", "[12345678901234567890,1e309]", "[[1],[2.5]]", "[2024-01-01,12:34:56.789Z]", "١٢٣",
                // found by `make fuzz` (the header target): date fields far out of range
                "\t{  \"2E24-01-01\":[  -9223372368547758922 ],9.2E01:  \"{{\"", "\"2E24-01-01\"", "2E24-01-01", "\"-2E24-01-01\"", "\"9E18-12-31\"",
                "\"2024-01-01T00:00:00.000Z\"", "\"1E9-01-01\"", "[\"2E24-01-01\"]", "\"12:34:56.789Z\"", "\"2E24:00:00.000Z\""};
        for (String f : fixed) header(f);
        for (int i = 0; i < 1100; i++) header(headerInput());

        String[][] fixedRegex = {{"(?<base>.*)", "orders", "${base}-copy"}, {"(.*)", "orders", "$2"}, {"a|ab", "ab", "X"}, {"(.*?)", "abc", "X$1"},
                {"(a*?)(b*)", "aab", "<$1|$2>"}, {"(a)|(b)", "b", "[$1][$2]"}, {"(a)", "a", "$10"}, {"(a)", "a", "$01"}, {"a", "a", "$1"}, {"(a)", "a", "\\\\$1"}};
        for (String[] f : fixedRegex) regexCase(f[0], f[1], f[2]);
        for (int i = 0; i < 700; i++) {
            int[] groups = {0};
            List<String> names = new ArrayList<>();
            String re = regex(0, groups, names);
            String t;
            if (R.nextInt(3) > 0) {
                // A topic the regex matches, when one is easy to find among random ones.
                t = topic();
                for (int k = 0; k < 200 && !Pattern.compile(re).matcher(t).matches(); k++) t = topic();
            } else {
                t = topic();
            }
            regexCase(re, t, replacement(names));
        }

        for (int i = 0; i < 300; i++) fileSource(fileBytes());
        fileSource("a\rb\r\nc\n".getBytes(StandardCharsets.UTF_8));

        JSON.configure(Map.of("schemas.enable", "true", "decimal.format", "NUMERIC"), false);
        for (int i = 0; i < 600; i++) {
            boolean schemaless = R.nextInt(4) == 0;
            if (schemaless) valueText(null, schemalessValue(0));
            else { Schema sc = schema(0); valueText(sc, value(sc, 0)); }
        }

        out.close();
        System.err.println("wrote " + count + " vectors to " + args[0]);
    }
}
