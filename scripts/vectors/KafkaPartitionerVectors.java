// Randomized differential vectors for Java's keyed-record partitioning (Utils.murmur2, toPositive,
// modulo the partition count, as BuiltInPartitioner.partitionForKey), made with kafka-clients:
//   {"key":"<hex>","murmur2":<int>,"partitions":{"1":p,"2":p,...,"12":p,"100":p}}
// A fixed seed keeps the output stable.
import java.io.PrintStream;
import java.util.Random;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;

public class KafkaPartitionerVectors {
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(args[0]), true, "UTF-8");
        Random r = new Random(20261130L);
        int[] counts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 100};
        for (int n = 0; n < 2000; n++) {
            int len = n < 64 ? n : r.nextInt(80);
            byte[] key = new byte[len];
            if (n % 3 == 0) {
                // Keys as Kafka Connect writes them: JSON text, e.g. ["connector",{"table":"t42"}].
                key = ("[\"conn-" + r.nextInt(50) + "\",{\"table\":\"t" + r.nextInt(100000) + "\"}]").getBytes("UTF-8");
            } else {
                r.nextBytes(key);
            }
            StringBuilder hex = new StringBuilder();
            for (byte b : key) hex.append(String.format("%02x", b & 0xff));
            StringBuilder parts = new StringBuilder();
            for (int c : counts) {
                if (parts.length() > 0) parts.append(',');
                parts.append('"').append(c).append("\":").append(BuiltInPartitioner.partitionForKey(key, c));
            }
            out.println("{\"key\":\"" + hex + "\",\"murmur2\":" + Utils.murmur2(key) + ",\"partitions\":{" + parts + "}}");
        }
        out.close();
    }
}
