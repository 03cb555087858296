// Zstandard (Debian libzstd-dev): the Avro container files' "zstandard" codec.
#include <zstd.h>
