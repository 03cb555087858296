// Snappy (Debian libsnappy-dev), its C API: the Avro container files' "snappy" codec.
#include <snappy-c.h>
