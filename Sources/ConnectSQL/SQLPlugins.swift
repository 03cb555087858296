public import ConnectRuntime

/// ConnectSQL's plugins: Confluent's JDBC source and sink connectors under their class names.
public enum SQLPlugins: PluginProvider {
    public static func register(in r: inout PluginRegistry) {
        r.register(
            .source(JdbcSourceConnector.self), name: "JdbcSource",
            aliases: ["JdbcSourceConnector", "io.confluent.connect.jdbc.JdbcSourceConnector"],
            javaTaskClassName: "io.confluent.connect.jdbc.source.JdbcSourceTask")
        r.register(
            .sink(JdbcSinkConnector.self), name: "JdbcSink",
            aliases: ["JdbcSinkConnector", "io.confluent.connect.jdbc.JdbcSinkConnector"],
            javaTaskClassName: "io.confluent.connect.jdbc.sink.JdbcSinkTask")
    }
}
