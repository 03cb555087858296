// zlib (Debian zlib1g-dev): CRC-32 for ConnectKit's local topic logs; deflate/gzip for the codecs.
#include <zlib.h>
