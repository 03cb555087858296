public import ConnectKit

/// Every transformation and predicate of this module, with Kafka's class names — what a plugin
/// registry registers so that `transforms.X.type` and `predicates.Y.type` resolve.
public enum StandardTransforms {
    /// (short name, type, Kafka/Debezium class name).
    public static let transformations: [(name: String, type: any Transformation.Type, className: String)] = {
        let k = "org.apache.kafka.connect.transforms."
        var out: [(String, any Transformation.Type, String)] = [
            ("InsertField$Key", InsertField.Key.self, k + "InsertField$Key"), ("InsertField$Value", InsertField.Value.self, k + "InsertField$Value"),
            ("ReplaceField$Key", ReplaceField.Key.self, k + "ReplaceField$Key"), ("ReplaceField$Value", ReplaceField.Value.self, k + "ReplaceField$Value"),
            ("MaskField$Key", MaskField.Key.self, k + "MaskField$Key"), ("MaskField$Value", MaskField.Value.self, k + "MaskField$Value"),
            ("Cast$Key", Cast.Key.self, k + "Cast$Key"), ("Cast$Value", Cast.Value.self, k + "Cast$Value"),
            ("ExtractField$Key", ExtractField.Key.self, k + "ExtractField$Key"), ("ExtractField$Value", ExtractField.Value.self, k + "ExtractField$Value"),
            ("HoistField$Key", HoistField.Key.self, k + "HoistField$Key"), ("HoistField$Value", HoistField.Value.self, k + "HoistField$Value"),
            ("SetSchemaMetadata$Key", SetSchemaMetadata.Key.self, k + "SetSchemaMetadata$Key"),
            ("SetSchemaMetadata$Value", SetSchemaMetadata.Value.self, k + "SetSchemaMetadata$Value"),
            ("ValueToKey", ValueToKey.self, k + "ValueToKey"), ("Filter", Filter.self, k + "Filter"),
            ("RegexRouter", RegexRouter.self, k + "RegexRouter"), ("TimestampRouter", TimestampRouter.self, k + "TimestampRouter"),
            ("DropHeaders", DropHeaders.self, k + "DropHeaders"), ("InsertHeader", InsertHeader.self, k + "InsertHeader"),
        ]
        out += extraTransformations
        return out
    }()

    /// (short name, type, Kafka class name).
    public static let predicates: [(name: String, type: any ConnectKit.Predicate.Type, className: String)] = [
        ("HasHeaderKey", HasHeaderKey.self, "org.apache.kafka.connect.transforms.predicates.HasHeaderKey"),
        ("RecordIsTombstone", RecordIsTombstone.self, "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"),
        ("TopicNameMatches", TopicNameMatches.self, "org.apache.kafka.connect.transforms.predicates.TopicNameMatches"),
    ]
}
