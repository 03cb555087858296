import ConnectKit

extension StandardTransforms {
    /// Transformations added after the first set.
    static let extraTransformations: [(String, any Transformation.Type, String)] = {
        let k = "org.apache.kafka.connect.transforms."
        return [
            ("Flatten$Key", Flatten.Key.self, k + "Flatten$Key"), ("Flatten$Value", Flatten.Value.self, k + "Flatten$Value"),
            ("HeaderFrom$Key", HeaderFrom.Key.self, k + "HeaderFrom$Key"), ("HeaderFrom$Value", HeaderFrom.Value.self, k + "HeaderFrom$Value"),
            ("TimestampConverter$Key", TimestampConverter.Key.self, k + "TimestampConverter$Key"),
            ("TimestampConverter$Value", TimestampConverter.Value.self, k + "TimestampConverter$Value"),
            ("ExtractNewRecordState", ExtractNewRecordState.self, "io.debezium.transforms.ExtractNewRecordState"),
            ("ByLogicalTableRouter", ByLogicalTableRouter.self, "io.debezium.transforms.ByLogicalTableRouter"),
        ]
    }()
}
