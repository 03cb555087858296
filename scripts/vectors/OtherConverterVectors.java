// Golden vectors for Kafka's SimpleHeaderConverter (Values text format), StringConverter and the number
// converters, produced by running Kafka's own classes. Reuses the spec writers of JsonConverterVectors.
//
//   {"kind":"headerFormat","id","schema","value","text"|null}
//   {"kind":"headerParse","id","input","result":{"schema","value"}|"error"}
//   {"kind":"number","id","converter","value","hex"}
//   {"kind":"string","id","encoding","text","hex"}

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.converters.DoubleConverter;
import org.apache.kafka.connect.converters.FloatConverter;
import org.apache.kafka.connect.converters.IntegerConverter;
import org.apache.kafka.connect.converters.LongConverter;
import org.apache.kafka.connect.converters.ShortConverter;
import org.apache.kafka.connect.data.*;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;
import org.apache.kafka.connect.storage.StringConverter;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.*;

public class OtherConverterVectors {
    static PrintStream out;
    static int count = 0;
    static final SimpleHeaderConverter HEADERS = new SimpleHeaderConverter();

    static void emit(ObjectNode o) throws Exception {
        out.println(JsonConverterVectors.MAPPER.writeValueAsString(o));
        count++;
    }

    static String hex(byte[] b) {
        if (b == null) return null;
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }

    static void format(String id, Schema schema, Object value) throws Exception {
        ObjectNode o = JsonConverterVectors.F.objectNode();
        o.put("kind", "headerFormat");
        o.put("id", id);
        o.set("schema", JsonConverterVectors.schemaSpec(schema));
        o.set("value", JsonConverterVectors.valueSpec(schema, value));
        byte[] b = HEADERS.fromConnectHeader("topic", "h", schema, value);
        if (b == null) o.putNull("text"); else o.put("text", new String(b, StandardCharsets.UTF_8));
        emit(o);
    }

    static void parse(String id, String input) throws Exception {
        ObjectNode o = JsonConverterVectors.F.objectNode();
        o.put("kind", "headerParse");
        o.put("id", id);
        o.put("input", input);
        try {
            SchemaAndValue sv = HEADERS.toConnectHeader("topic", "h", input.getBytes(StandardCharsets.UTF_8));
            ObjectNode r = JsonConverterVectors.F.objectNode();
            r.set("schema", JsonConverterVectors.schemaSpec(sv.schema()));
            r.set("value", JsonConverterVectors.valueSpec(sv.schema(), sv.value()));
            o.set("result", r);
        } catch (Exception e) {
            o.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        emit(o);
    }

    static void number(String id, Converter c, String name, Schema schema, Object value) throws Exception {
        c.configure(Collections.emptyMap(), false);
        ObjectNode o = JsonConverterVectors.F.objectNode();
        o.put("kind", "number");
        o.put("id", id);
        o.put("converter", name);
        o.set("value", JsonConverterVectors.valueSpec(schema, value));
        o.put("hex", hex(c.fromConnectData("topic", schema, value)));
        emit(o);
    }

    static void string(String id, String encoding, String text) throws Exception {
        StringConverter c = new StringConverter();
        Map<String, String> cfg = new HashMap<>();
        cfg.put("converter.encoding", encoding);
        c.configure(cfg, false);
        ObjectNode o = JsonConverterVectors.F.objectNode();
        o.put("kind", "string");
        o.put("id", id);
        o.put("encoding", encoding);
        o.put("text", text);
        o.put("hex", hex(c.fromConnectData("topic", Schema.STRING_SCHEMA, text)));
        emit(o);
    }

    public static void main(String[] args) throws Exception {
        out = new PrintStream(new java.io.FileOutputStream(args[0]), true, "UTF-8");
        HEADERS.configure(Collections.emptyMap());

        // Values.convertToString formats
        format("string", Schema.STRING_SCHEMA, "plain, text: with \"quotes\"");
        format("int8", Schema.INT8_SCHEMA, (byte) -5);
        format("int64", Schema.INT64_SCHEMA, Long.MIN_VALUE);
        format("float32", Schema.FLOAT32_SCHEMA, 1.5f);
        format("float64", Schema.FLOAT64_SCHEMA, 1e-7);
        format("boolean", Schema.BOOLEAN_SCHEMA, true);
        format("bytes", Schema.BYTES_SCHEMA, new byte[]{1, 2, 3});
        format("null", Schema.OPTIONAL_STRING_SCHEMA, null);
        format("decimal", Decimal.schema(2), new BigDecimal("12.34"));
        format("date", org.apache.kafka.connect.data.Date.SCHEMA, new java.util.Date(19000L * 86400000L));
        format("time", Time.SCHEMA, new java.util.Date(3723004L));
        format("timestamp", Timestamp.SCHEMA, new java.util.Date(1700000000123L));
        format("array", SchemaBuilder.array(Schema.STRING_SCHEMA).build(), Arrays.asList("a", "b\"c", "d\\e"));
        Map<String, Integer> m = new LinkedHashMap<>(); m.put("k1", 1); m.put("k2", 2);
        format("map", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), m);
        Schema st = SchemaBuilder.struct().field("a", Schema.INT32_SCHEMA).field("b", Schema.OPTIONAL_STRING_SCHEMA).build();
        format("struct", st, new Struct(st).put("a", 1).put("b", "x"));
        format("nested", SchemaBuilder.array(SchemaBuilder.array(Schema.INT32_SCHEMA).build()).build(), Arrays.asList(Arrays.asList(1, 2), Arrays.asList(3)));

        // Values.parseString inference
        String[] inputs = {"true", "false", "null", "5", "-128", "300", "70000", "5000000000", "1.5", "3.4028236E38", "1e400",
                "12345678901234567890", "hello world", "2023-11-14", "12:30:45.123Z", "2023-11-14T22:13:20.123Z",
                "[1,2,3]", "[1,300]", "[\"a\",\"b\"]", "{\"k\":1,\"j\":2}", "{\"a\":\"x\"}", "[1,", "{\"a\"}", "  spaced  ",
                "a:b", "[]", "{}", "[true,false]", "-0", "+7", "[\"2023-11-14\"]"};
        for (int i = 0; i < inputs.length; i++) parse("parse/" + i, inputs[i]);

        number("short", new ShortConverter(), "Short", Schema.INT16_SCHEMA, (short) -2);
        number("integer", new IntegerConverter(), "Integer", Schema.INT32_SCHEMA, 258);
        number("long", new LongConverter(), "Long", Schema.INT64_SCHEMA, Long.MIN_VALUE);
        number("float", new FloatConverter(), "Float", Schema.FLOAT32_SCHEMA, 1.5f);
        number("double", new DoubleConverter(), "Double", Schema.FLOAT64_SCHEMA, -0.1);

        for (String enc : new String[]{"UTF-8", "UTF-16", "UTF-16BE", "UTF-16LE", "ISO-8859-1", "US-ASCII"})
            string("string/" + enc, enc, "Aé日\uD83D\uDE00");

        out.close();
        System.err.println("wrote " + count + " vectors to " + args[0]);
    }
}
