// Randomized differential vectors for java.text.SimpleDateFormat and java.util.Date.toString, as the
// JVM runs them under Kafka Connect (TimestampConverter, TimestampRouter, Values' header dates,
// Struct.toString): random patterns × instants × time zones × locales, made by the JDK itself with a
// fixed seed.
//
//   {"kind":"format","pattern","zone","locale","millis","text"}            SimpleDateFormat.format
//   {"kind":"patternError","pattern","error"}                               IllegalArgumentException
//   {"kind":"parse","pattern","zone","locale","text","millis"|null,"errorOffset"?}   SimpleDateFormat.parse (lenient)
//   {"kind":"toString","zone","millis","text"}                              Date.toString in that default zone
//   {"kind":"minus80","zone","millis","result"}                             Calendar.add(YEAR, -80): the two-digit-year window
// The first line is {"kind":"meta","defaultCenturyStart":ms}: the two-digit-year window's start that
// the parse cases were made with (SimpleDateFormat sets it to "now" minus 80 years).

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.PrintStream;
import java.text.ParsePosition;
import java.text.SimpleDateFormat;
import java.util.*;

public class JavaDateVectors {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory F = JsonNodeFactory.instance;
    static PrintStream out;
    static int count = 0;
    static final Random R = new Random(20261130L);

    static final List<String> ZONES = List.of("UTC", "GMT", "Etc/GMT+5", "Etc/GMT-14", "America/New_York", "America/Chicago", "America/Denver",
            "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/St_Johns", "America/Sao_Paulo",
            "America/Argentina/Buenos_Aires", "America/Mexico_City", "America/Toronto", "Europe/London", "Europe/Dublin", "Europe/Lisbon",
            "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam", "Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Helsinki",
            "Europe/Athens", "Europe/Moscow", "Europe/Istanbul", "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi",
            "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok", "Asia/Singapore", "Asia/Shanghai",
            "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul", "Asia/Jakarta", "Asia/Manila", "Asia/Jerusalem", "Australia/Sydney",
            "Australia/Melbourne", "Australia/Brisbane", "Australia/Perth", "Australia/Adelaide", "Australia/Darwin", "Pacific/Auckland",
            "Pacific/Fiji", "Pacific/Guam", "Asia/Taipei", "Asia/Riyadh", "Asia/Tehran", "Europe/Warsaw", "Europe/Stockholm");
    static final List<Locale> LOCALES = List.of(Locale.US, Locale.US, Locale.US, Locale.UK, Locale.ENGLISH);

    static void emit(ObjectNode o) throws Exception {
        out.println(MAPPER.writeValueAsString(o));
        count++;
    }

    static <T> T pick(List<T> items) { return items.get(R.nextInt(items.size())); }

    static String locale(Locale l) { return l.toString(); }

    /** A random instant: mostly recent, some historic (Julian calendar before 1582-10-15), BC and far future. */
    static long instant() {
        int k = R.nextInt(20);
        long year = 365L * 86_400_000L;
        if (k < 11) return (long) (R.nextDouble() * 68 * year);                       // 1970–2038
        if (k < 15) return -70 * year + (long) (R.nextDouble() * 200 * year);         // 1900–2100
        if (k < 17) return -12_219_292_800_000L + (long) ((R.nextDouble() - 0.5) * 200 * year);  // around the cutover
        if (k < 18) return -62_135_596_800_000L - (long) (R.nextDouble() * 3000 * year);  // BC
        if (k < 19) return (long) (R.nextDouble() * 9000 * year);                     // to year ~10900
        return pick(List.of(0L, -1L, 86_399_999L, 1703980800000L, 1704067199999L, -12_219_292_800_000L, -12_219_292_800_001L,
                -62_135_596_800_000L, -62_135_596_800_001L, 253_402_300_799_999L));
    }

    static final String LETTERS = "GyYMLwWDdFEuaHkKhmsSzZX";

    static String pattern() {
        StringBuilder sb = new StringBuilder();
        int n = 1 + R.nextInt(6);
        for (int i = 0; i < n; i++) {
            char c = LETTERS.charAt(R.nextInt(LETTERS.length()));
            int count = 1 + R.nextInt(c == 'M' || c == 'E' || c == 'z' || c == 'L' ? 5 : 4);
            for (int j = 0; j < count; j++) sb.append(c);
            if (i + 1 < n) sb.append(pick(List.of("", "-", " ", ":", "/", ".", ", ", "'T'", "'W'", "''", " 'at' ", "_")));
        }
        return sb.toString();
    }

    /** Patterns a parse can read back (each field delimited, or numeric fields abutting). */
    static String parsePattern() {
        List<String> fields = List.of("yyyy", "yy", "y", "MM", "M", "MMM", "MMMM", "dd", "d", "HH", "H", "hh", "h", "kk", "KK", "mm", "ss", "SSS", "S",
                "EEE", "EEEE", "a", "Z", "X", "XX", "XXX", "z", "zzzz", "D", "DDD", "G", "u", "w", "W", "F", "YYYY");
        StringBuilder sb = new StringBuilder();
        int n = 1 + R.nextInt(6);
        for (int i = 0; i < n; i++) {
            sb.append(pick(fields));
            if (i + 1 < n) sb.append(pick(List.of("-", " ", ":", "/", ".", ", ", "'T'", "", "")));
        }
        return sb.toString();
    }

    static void format(String pattern, String zone, Locale locale, long millis) throws Exception {
        SimpleDateFormat f;
        try {
            f = new SimpleDateFormat(pattern, locale);
        } catch (IllegalArgumentException e) {
            ObjectNode o = F.objectNode();
            o.put("kind", "patternError"); o.put("pattern", pattern); o.put("error", e.getMessage());
            emit(o);
            return;
        }
        f.setTimeZone(TimeZone.getTimeZone(zone));
        ObjectNode o = F.objectNode();
        o.put("kind", "format"); o.put("pattern", pattern); o.put("zone", zone); o.put("locale", locale(locale));
        o.put("millis", millis); o.put("text", f.format(new Date(millis)));
        emit(o);
    }

    static void parse(String pattern, String zone, Locale locale, String text) throws Exception {
        SimpleDateFormat f;
        try { f = new SimpleDateFormat(pattern, locale); } catch (IllegalArgumentException e) { return; }
        f.setTimeZone(TimeZone.getTimeZone(zone));
        ParsePosition pos = new ParsePosition(0);
        Date d = f.parse(text, pos);
        ObjectNode o = F.objectNode();
        o.put("kind", "parse"); o.put("pattern", pattern); o.put("zone", zone); o.put("locale", locale(locale)); o.put("text", text);
        if (d == null || pos.getIndex() == 0) {
            o.putNull("millis");
            o.put("errorOffset", pos.getErrorIndex());
        } else {
            o.put("millis", d.getTime());
            o.put("end", pos.getIndex());
        }
        emit(o);
    }

    /** A random edit of a formatted text: a digit changed, a character dropped or doubled. */
    static String perturb(String s) {
        if (s.isEmpty()) return s;
        int i = R.nextInt(s.length());
        switch (R.nextInt(4)) {
            case 0: return s.substring(0, i) + (char) ('0' + R.nextInt(10)) + s.substring(i + 1);
            case 1: return s.substring(0, i) + s.substring(i + 1);
            case 2: return s.substring(0, i) + s.charAt(i) + s.substring(i);
            default: return s.toLowerCase(Locale.ROOT);
        }
    }

    public static void main(String[] args) throws Exception {
        out = new PrintStream(new java.io.FileOutputStream(args[0]), true, "UTF-8");
        SimpleDateFormat probe = new SimpleDateFormat("yy");
        ObjectNode meta = F.objectNode();
        meta.put("kind", "meta");
        meta.put("defaultCenturyStart", probe.get2DigitYearStart().getTime());
        emit(meta);

        // The cases from the issue and the corners of the calendar.
        format("YYYY-'W'ww", "UTC", Locale.US, 1703980800000L);
        format("YYYY-ww", "UTC", Locale.US, 1703980800000L);
        format("yyyyMMdd", "UTC", Locale.US, -12_219_292_800_001L);
        format("G yyyy-MM-dd D", "UTC", Locale.US, -62_135_596_800_001L);
        // The JDK's zone histories start at 1900-01-01T00:00Z; before it a zone's current raw offset applies.
        for (String zone : List.of("Europe/Dublin", "Asia/Dhaka", "Europe/Paris", "America/New_York", "Asia/Kolkata"))
            for (long ms : new long[] {-2_208_988_800_001L, -2_208_988_800_000L, -2_208_988_799_999L})
                format("yyyy-MM-dd HH:mm:ss.SSS zzzz Z", zone, Locale.US, ms);
        for (String bad : List.of("yyyy-bb", "'unterminated", "yyyy'", "ä", "yyyy-MM-dd'T'HH:mm:ss.SSSZ", "''", "'a''b'"))
            format(bad, "UTC", Locale.US, 1703980800000L);

        for (int i = 0; i < 2600; i++) {
            boolean zoned = R.nextInt(3) == 0;
            format(pattern(), zoned ? pick(ZONES) : "UTC", pick(LOCALES), instant());
        }
        for (int i = 0; i < 1200; i++) {
            boolean zoned = R.nextInt(3) == 0;
            String zone = zoned ? pick(ZONES) : "UTC";
            Locale l = pick(LOCALES);
            String p = parsePattern();
            SimpleDateFormat f;
            try { f = new SimpleDateFormat(p, l); } catch (IllegalArgumentException e) { i--; continue; }
            f.setTimeZone(TimeZone.getTimeZone(zone));
            String text = f.format(new Date(instant()));
            parse(p, zone, l, R.nextInt(4) == 0 ? perturb(text) : text);
        }
        // SimpleDateFormat's two-digit-year window starts at Calendar.add(YEAR, -80) of the time it was made.
        for (int i = 0; i < 200; i++) {
            String zone = pick(ZONES);
            long millis = i < 20 ? 951_782_400_000L + i * 3_600_000L : instant();   // around 2000-02-29
            GregorianCalendar c = new GregorianCalendar(TimeZone.getTimeZone(zone), Locale.US);
            c.setTimeInMillis(millis);
            c.add(Calendar.YEAR, -80);
            ObjectNode o = F.objectNode();
            o.put("kind", "minus80"); o.put("zone", zone); o.put("millis", millis); o.put("result", c.getTimeInMillis());
            emit(o);
        }
        for (int i = 0; i < 400; i++) {
            String zone = R.nextInt(4) == 0 ? "UTC" : pick(ZONES);
            long millis = instant();
            TimeZone.setDefault(TimeZone.getTimeZone(zone));
            ObjectNode o = F.objectNode();
            o.put("kind", "toString"); o.put("zone", zone); o.put("millis", millis); o.put("text", new Date(millis).toString());
            emit(o);
        }
        out.close();
        System.err.println("wrote " + count + " vectors to " + args[0]);
    }
}
