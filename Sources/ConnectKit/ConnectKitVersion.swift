/// The version of ConnectKit, which its built-in plugins report as theirs (`Connector.version`).
public enum ConnectKitVersion {
    /// Semantic version of this build.
    public static let current = "0.1.0"
}
