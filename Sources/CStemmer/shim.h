// Debian/Ubuntu: apt-get install libstemmer-dev (Snowball C stemmers, no pkg-config file).
#include <libstemmer.h>
