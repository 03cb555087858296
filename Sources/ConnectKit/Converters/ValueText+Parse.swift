/// Kafka's `Values.parseString` (Kafka 4.x): its tokenizer, its value parser and its schema merging,
/// step for step, so that a header text gets the schema and value a Kafka worker infers — checked
/// against Kafka's own class with randomized texts (`scripts/gen-java-text-vectors.sh`).
///
/// The steps, as Kafka takes them:
/// - The text is cut into tokens at the seven delimiters `: , { } [ ] "` (a backslash escapes the
///   next delimiter); runs between delimiters are tokens, whitespace included. Matching a
///   delimiter or literal skips blank tokens and compares trimmed text.
/// - `null`, `true`, `false` are literals only when alone (at the top level) or embedded.
/// - `[` and `{` start an array or a map; when it does not parse, the text is read as a token.
/// - A token starting with a digit is first tried as a time (`HH:mm:ss.SSS'Z'`, 13 characters),
///   timestamp (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`, 24) or date (`yyyy-MM-dd`, 10), parsed leniently by
///   `SimpleDateFormat` (in UTC here; in the JVM's zone in Kafka) — the token with the next four
///   tokens first (an unescaped `:` is a delimiter), then the token alone. Then, starting with a
///   digit, `+` or `-`, as a number: the smallest of int8 … int64 for an integral value, float32 when
///   the text has a scale and fits, else float64, else a Decimal.
/// - Anything else at the top level is the whole text as a string; embedded, it fails the
///   enclosing array or map (which then reads as a string).
/// - Element schemas merge (integers widen to larger integers and floats; the latest schema wins
///   between equal types) and elements are converted to the merged schema; no common schema gives an
///   array or map with no element schema.
extension ValueText {
    /// A value as Kafka's parser holds it: Java objects, with `java.util.Date` for the three temporal
    /// types (milliseconds, and the type it was parsed as).
    indirect enum JavaObject: Hashable {
        case byte(Int8), short(Int16), int(Int32), long(Int64), float(Float), double(Double)
        case decimal(BigDecimal), boolean(Bool), string(String)
        case date(millis: Int64, parsedAs: LogicalType)
        case list([JavaObject?])
        case map(JavaMap)

        /// Java's `equals`: boxed numbers only equal their own class; floats compare bits; dates
        /// compare milliseconds whatever they were parsed as.
        static func == (a: JavaObject, b: JavaObject) -> Bool {
            switch (a, b) {
            case (.byte(let x), .byte(let y)): x == y
            case (.short(let x), .short(let y)): x == y
            case (.int(let x), .int(let y)): x == y
            case (.long(let x), .long(let y)): x == y
            case (.float(let x), .float(let y)): x.bitPattern == y.bitPattern
            case (.double(let x), .double(let y)): x.bitPattern == y.bitPattern
            case (.decimal(let x), .decimal(let y)): x == y
            case (.boolean(let x), .boolean(let y)): x == y
            case (.string(let x), .string(let y)): x == y
            case (.date(let x, _), .date(let y, _)): x == y
            case (.list(let x), .list(let y)): x == y
            case (.map(let x), .map(let y)): x == y
            default: false
            }
        }

        func hash(into h: inout Hasher) {
            switch self {
            case .byte(let v): h.combine(0); h.combine(v)
            case .short(let v): h.combine(1); h.combine(v)
            case .int(let v): h.combine(2); h.combine(v)
            case .long(let v): h.combine(3); h.combine(v)
            case .float(let v): h.combine(4); h.combine(v.bitPattern)
            case .double(let v): h.combine(5); h.combine(v.bitPattern)
            case .decimal(let v): h.combine(6); h.combine(v)
            case .boolean(let v): h.combine(7); h.combine(v)
            case .string(let v): h.combine(8); h.combine(v)
            case .date(let ms, _): h.combine(9); h.combine(ms)
            case .list(let v): h.combine(10); h.combine(v)
            case .map(let v): h.combine(11); h.combine(v)
            }
        }

        /// Java's `Number.longValue()` for the integer and floating classes.
        var longValue: Int64? {
            switch self {
            case .byte(let v): Int64(v)
            case .short(let v): Int64(v)
            case .int(let v): Int64(v)
            case .long(let v): v
            case .float(let v): JavaObject.javaLong(Double(v))
            case .double(let v): JavaObject.javaLong(v)
            default: nil
            }
        }

        /// Java's `(long) d`: toward zero, saturating, NaN as 0.
        static func javaLong(_ d: Double) -> Int64 {
            if d.isNaN { return 0 }
            if d >= 9_223_372_036_854_775_807.0 { return .max }
            if d <= -9_223_372_036_854_775_808.0 { return .min }
            return Int64(d)
        }

        /// Java's `Number.doubleValue()`.
        var doubleValue: Double? {
            switch self {
            case .byte(let v): Double(v)
            case .short(let v): Double(v)
            case .int(let v): Double(v)
            case .long(let v): Double(v)
            case .float(let v): Double(v)
            case .double(let v): v
            case .decimal(let v): v.doubleValue
            default: nil
            }
        }
    }

    /// Java's `LinkedHashMap`: insertion order, a repeated key replaces the value in place.
    struct JavaMap: Hashable {
        private(set) var keys: [JavaObject] = []
        private(set) var values: [JavaObject?] = []
        private var index: [JavaObject: Int] = [:]

        mutating func put(_ key: JavaObject, _ value: JavaObject?) {
            if let i = index[key] {
                values[i] = value
            } else {
                index[key] = keys.count
                keys.append(key)
                values.append(value)
            }
        }

        /// `AbstractMap.equals`: the same keys with equal values, in any order.
        static func == (a: JavaMap, b: JavaMap) -> Bool {
            guard a.keys.count == b.keys.count else { return false }
            for (i, k) in a.keys.enumerated() {
                guard let j = b.index[k], a.values[i] == b.values[j] else { return false }
            }
            return true
        }

        func hash(into h: inout Hasher) { h.combine(keys.count) }
    }

    /// Why a parse stopped.
    enum ParseFailure: Error {
        /// Kafka's `DataException`: the enclosing array or map does not parse (text at the top).
        case data
        /// Another Java exception (`ArithmeticException` for a number beyond `BigInteger`): Kafka's
        /// SimpleHeaderConverter then keeps the header's bytes.
        case java
        /// Arrays or maps nested deeper than ``ValueText/maximumNesting``: Kafka's recursive parser
        /// would run out of thread stack (a `StackOverflowError`, which SimpleHeaderConverter also
        /// catches, keeping the bytes); ours stops first, at a fixed depth.
        case nesting
    }

    /// How deeply arrays and maps may nest in parsed text (Kafka's limit is its thread's stack).
    static let maximumNesting = 200

    /// A parsed value and its schema; nil for Java's null.
    typealias Parsed = (schema: Schema, object: JavaObject)

    /// Kafka's `Values.Parser`: tokens over the text's UTF-16 code units (Java's `char`s), with
    /// one token of lookahead and positions to rewind to.
    struct Tokenizer {
        let text: [UInt16]
        private(set) var index = 0
        private var nextToken: Range<Int>?
        private(set) var previousToken: Range<Int>?

        init(_ text: [UInt16]) { self.text = text }

        static func isDelimiter(_ c: UInt16) -> Bool {
            switch c {
            case 0x3A, 0x2C, 0x7B, 0x7D, 0x5B, 0x5D, 0x22: true  // : , { } [ ] "
            default: false
            }
        }

        private mutating func consumeNextToken() -> Range<Int> {
            var escaped = false
            let start = index
            while index < text.count {
                let c = text[index]
                if c == 0x5C {
                    escaped.toggle()
                } else if Tokenizer.isDelimiter(c) {
                    if !escaped {
                        if start < index { return start..<index }
                        index += 1
                        return start..<(start + 1)
                    }
                    escaped = false
                } else {
                    escaped = false
                }
                index += 1
            }
            return start..<index
        }

        /// Where the next token starts.
        var mark: Int { index - (nextToken?.count ?? 0) }

        mutating func rewind(to position: Int) {
            index = position
            nextToken = nil
            previousToken = nil
        }

        var hasNext: Bool { nextToken != nil || index < text.count }

        mutating func next() -> Range<Int> {
            if let peeked = nextToken {
                previousToken = peeked
                nextToken = nil
            } else {
                previousToken = consumeNextToken()
            }
            return previousToken!
        }

        /// The text of the next `n` tokens, or nil (and nothing consumed) when there are fewer.
        mutating func next(_ n: Int) -> Range<Int>? {
            let start = mark
            for _ in 0..<n {
                guard hasNext else {
                    rewind(to: start)
                    return nil
                }
                _ = next()
            }
            return start..<index
        }

        /// Consumes the next non-blank token when its trimmed text is `expected` (one ASCII word).
        mutating func canConsume(_ expected: String) -> Bool {
            if nextToken == nil {
                guard hasNext else { return false }
                nextToken = consumeNextToken()
            }
            while let t = nextToken, ValueText.isBlank(text[t]), index < text.count { nextToken = consumeNextToken() }
            guard ValueText.trimmed(text[nextToken!]).elementsEqual(expected.utf16) else { return false }
            nextToken = nil
            return true
        }
    }

    /// Java's `String.trim()`: without leading and trailing characters up to U+0020.
    static func trimmed(_ s: ArraySlice<UInt16>) -> ArraySlice<UInt16> {
        var lo = s.startIndex, hi = s.endIndex
        while lo < hi, s[lo] <= 0x20 { lo += 1 }
        while hi > lo, s[hi - 1] <= 0x20 { hi -= 1 }
        return s[lo..<hi]
    }

    static func isBlank(_ s: ArraySlice<UInt16>) -> Bool { trimmed(s).isEmpty }

    /// Java's `Character.digit(c, 10)` for a UTF-16 unit: 0–9 for any Unicode decimal digit.
    static func digitValue(_ c: UInt16) -> Int? {
        if c >= 0x30, c <= 0x39 { return Int(c - 0x30) }
        guard c >= 0x80, let scalar = Unicode.Scalar(c), scalar.properties.generalCategory == .decimalNumber,
            let v = scalar.properties.numericValue
        else { return nil }
        return Int(v)
    }

    /// Kafka's `Values.ValueParser`.
    struct Parser {
        var tokens: Tokenizer
        let original: String
        var depth = 0

        init(_ text: String) {
            original = text
            tokens = Tokenizer(Array(text.utf16))
        }

        func string(_ r: Range<Int>) -> String { String(decoding: tokens.text[r], as: UTF16.self) }

        mutating func parse(embedded: Bool) throws(ParseFailure) -> Parsed? {
            guard tokens.hasNext else { return nil }
            if embedded, tokens.canConsume("\"") { return parseQuotedString() }
            if canParseSingleTokenLiteral(embedded, "null") { return nil }
            if canParseSingleTokenLiteral(embedded, "true") { return (.boolean, .boolean(true)) }
            if canParseSingleTokenLiteral(embedded, "false") { return (.boolean, .boolean(false)) }
            let start = tokens.mark
            do {
                if tokens.canConsume("[") { return try parseArray() }
                if tokens.canConsume("{") { return try parseMap() }
            } catch .data {
                tokens.rewind(to: start)
            }
            let token = tokens.next()
            if ValueText.isBlank(tokens.text[token]) { return (.string, .string(string(token))) }
            let t = ValueText.trimmed(tokens.text[token])
            return try parseNextToken(embedded: embedded, t.startIndex..<t.endIndex)
        }

        private mutating func canParseSingleTokenLiteral(_ embedded: Bool, _ literal: String) -> Bool {
            let start = tokens.mark
            if tokens.canConsume(literal), embedded || !tokens.hasNext { return true }
            tokens.rewind(to: start)
            return false
        }

        private mutating func parseNextToken(embedded: Bool, _ token: Range<Int>) throws(ParseFailure) -> Parsed {
            let first = tokens.text[token.lowerBound]
            let firstIsDigit = ValueText.digitValue(first) != nil
            if firstIsDigit, let temporal = parseMultipleTokensAsTemporal(token) { return temporal }
            if firstIsDigit || first == 0x2B || first == 0x2D, let number = try ValueText.parseNumber(tokens.text[token]) {
                return number
            }
            if embedded { throw .data }
            return (.string, .string(original))
        }

        private mutating func parseQuotedString() -> Parsed {
            var content: [UInt16] = []
            while tokens.hasNext {
                if tokens.canConsume("\"") { break }
                content += tokens.text[tokens.next()]
            }
            if let temporal = ValueText.parseTemporal(content[...]) { return temporal }
            return (.string, .string(String(decoding: content, as: UTF16.self)))
        }

        /// A time or timestamp is split at its unescaped colons: try the token and the next four
        /// first, then the token alone.
        private mutating func parseMultipleTokensAsTemporal(_ token: Range<Int>) -> Parsed? {
            let position = tokens.mark
            if let rest = tokens.next(4), let temporal = ValueText.parseTemporal(tokens.text[token] + tokens.text[rest]) {
                return temporal
            }
            tokens.rewind(to: position)
            return ValueText.parseTemporal(tokens.text[token])
        }

        private mutating func parseArray() throws(ParseFailure) -> Parsed {
            depth += 1
            defer { depth -= 1 }
            if depth > ValueText.maximumNesting { throw .nesting }
            var result: [JavaObject?] = []
            var merger = SchemaMerger()
            while tokens.hasNext {
                if tokens.canConsume("]") {
                    guard let common = merger.common else { return (Schema.array(nil), .list(result)) }
                    return (Schema.array(common), .list(try result.map { (e) throws(ParseFailure) in try ValueText.convert(e, to: common) }))
                }
                if tokens.canConsume(",") { throw .data }  // an empty element
                let element = try parse(embedded: true)
                merger.merge(element?.schema)
                result.append(element?.object)
                let current = tokens.mark
                if tokens.canConsume("]") {
                    tokens.rewind(to: current)
                } else if !tokens.canConsume(",") {
                    throw .data  // elements without a ',' between them
                }
            }
            throw .data  // no closing ']'
        }

        private mutating func parseMap() throws(ParseFailure) -> Parsed {
            depth += 1
            defer { depth -= 1 }
            if depth > ValueText.maximumNesting { throw .nesting }
            var result = JavaMap()
            var keySchema = SchemaMerger(), valueSchema = SchemaMerger()
            while tokens.hasNext {
                if tokens.canConsume("}") {
                    switch (keySchema.common, valueSchema.common) {
                    case (let k?, let v?):
                        var aligned = JavaMap()
                        for (i, key) in result.keys.enumerated() {
                            aligned.put(try ValueText.convert(key, to: k), try ValueText.convert(result.values[i], to: v))
                        }
                        return (Schema.map(k, v), .map(aligned))
                    case (let k?, nil):
                        var aligned = JavaMap()
                        for (i, key) in result.keys.enumerated() { aligned.put(try ValueText.convert(key, to: k), result.values[i]) }
                        return (Schema.map(k, nil), .map(aligned))
                    default:
                        return (Schema.map(nil, nil), .map(result))
                    }
                }
                if tokens.canConsume(",") { throw .data }  // an entry with no key or value
                guard let key = try parse(embedded: true) else { throw .data }  // a null key
                guard tokens.canConsume(":") else { throw .data }
                let value = try parse(embedded: true)
                result.put(key.object, value?.object)
                _ = tokens.canConsume(",")
                keySchema.merge(key.schema)
                valueSchema.merge(value?.schema)
            }
            throw .data  // no closing '}'
        }
    }

    /// Kafka's `SchemaMerger`: the schema all elements so far share, nil once two do not.
    struct SchemaMerger {
        private(set) var common: Schema?
        private var compatible = true

        mutating func merge(_ schema: Schema?) {
            guard let schema, compatible else { return }
            guard let previous = common else {
                common = schema
                return
            }
            common = SchemaMerger.merge(previous, schema)
            compatible = common != nil
        }

        /// Kafka's `mergeSchemas`: integers widen to a larger integer or a float, float32 to
        /// float64; logical types count as their physical type; between equal types the newer.
        static func merge(_ previous: Schema, _ new: Schema) -> Schema? {
            if previous.type != new.type {
                let rank: [SchemaType: Int] = [.int8: 0, .int16: 1, .int32: 2, .int64: 3, .float32: 4, .float64: 5]
                guard let p = rank[previous.type], let n = rank[new.type] else { return nil }
                return n > p ? new : previous
            }
            if previous.isOptional == new.isOptional { return previous.isOptional ? previous : new }
            return previous == new ? previous : nil
        }
    }

    // MARK: Tokens as values

    static let timeFormat = try! JavaDateFormat("HH:mm:ss.SSS'Z'")
    static let timestampFormat = try! JavaDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
    static let dateFormat = try! JavaDateFormat("yyyy-MM-dd")

    /// Kafka's `parseAsTemporal`: by length (after `\:` becomes `:`), a time, timestamp or date,
    /// read leniently; a prefix that parses is enough, as `SimpleDateFormat.parse` allows.
    static func parseTemporal(_ token: ArraySlice<UInt16>) -> Parsed? {
        var text: [UInt16] = []
        text.reserveCapacity(token.count)
        var i = token.startIndex
        while i < token.endIndex {
            if token[i] == 0x5C, i + 1 < token.endIndex, token[i + 1] == 0x3A {
                text.append(0x3A)
                i += 2
            } else {
                text.append(token[i])
                i += 1
            }
        }
        let format: JavaDateFormat, schema: Schema, kind: LogicalType
        switch text.count {
        case 13: (format, schema, kind) = (timeFormat, .time, .time)
        case 24: (format, schema, kind) = (timestampFormat, .timestamp, .timestamp)
        case 10: (format, schema, kind) = (dateFormat, .date, .date)
        default: return nil
        }
        let result = format.parse(String(decoding: text, as: UTF16.self), from: 0)
        guard result.end != 0, let millis = result.millis else { return nil }
        return (schema, .date(millis: millis, parsedAs: kind))
    }

    /// Kafka's `parseAsNumber`: nil where Java's `new BigDecimal(token)` fails.
    static func parseNumber(_ token: ArraySlice<UInt16>) throws(ParseFailure) -> Parsed? {
        // BigDecimal reads any Unicode decimal digit.
        var ascii: [UInt8] = []
        ascii.reserveCapacity(token.count)
        for c in token {
            if c < 0x80 {
                ascii.append(UInt8(c))
            } else if let d = digitValue(c) {
                ascii.append(UInt8(0x30 + d))
            } else {
                return nil
            }
        }
        guard let decimal = BigDecimal.parse(ascii) else { return nil }
        if let exact = try exactInteger(decimal) { return exact }
        if decimal.scale != 0 {
            if let f = Float(decimal.description), f.isFinite { return (.float32, .float(f)) }
            if let d = Double(decimal.description), d.isFinite { return (.float64, .double(d)) }
        }
        return (Schema.decimal(scale: decimal.scale), .decimal(decimal))
    }

    /// Kafka's `parseAsExactDecimal`: the smallest integer type holding an integral value.
    private static func exactInteger(_ d: BigDecimal) throws(ParseFailure) -> Parsed? {
        if d.unscaled.isZero { return (.int8, .byte(0)) }
        let integral: BigInt
        if d.scale < 0 {
            // Java computes 10^-scale as a BigInteger, which overflows past about 10^646456992.
            if d.scale < -646_456_992 { throw .java }
            if Int(-d.scale) + d.precision > 19 { return nil }
            integral = d.unscaled.multipliedByPowerOfTen(Int(-d.scale))
        } else {
            guard let r = d.rescaled(to: 0) else { return nil }
            integral = r.unscaled
        }
        guard let v = integral.int64Value else { return nil }
        if let b = Int8(exactly: v) { return (.int8, .byte(b)) }
        if let s = Int16(exactly: v) { return (.int16, .short(s)) }
        if let i = Int32(exactly: v) { return (.int32, .int(i)) }
        return (.int64, .long(v))
    }

    // MARK: Alignment with the merged schema

    static let millisPerDay: Int64 = 86_400_000

    /// Kafka's `convertTo(schema, null, value)` as `alignListEntriesWithSchema` calls it, for the
    /// schemas a merge can produce.
    static func convert(_ value: JavaObject?, to schema: Schema) throws(ParseFailure) -> JavaObject {
        guard let value else { throw .data }  // "Unable to convert a null value to a schema that requires a value"
        switch schema.logicalType {
        case .date?, .time?, .timestamp?:
            if case .date = value { return value }  // a java.util.Date with no source schema passes as it is
            guard let n = value.longValue else { throw .data }
            switch schema.logicalType! {
            case .date: return .date(millis: Int64(Int32(truncatingIfNeeded: n)) * millisPerDay, parsedAs: .date)
            case .time:
                let ms = Int64(Int32(truncatingIfNeeded: n))
                guard ms >= 0, ms <= millisPerDay else { throw .data }
                return .date(millis: ms, parsedAs: .time)
            default: return .date(millis: n, parsedAs: .timestamp)
            }
        case .decimal?:
            if case .decimal = value { return value }
            guard let d = value.doubleValue, d.isFinite, let decimal = BigDecimal(JavaNumberFormat.string(d)) else { throw .data }
            return .decimal(decimal)
        case nil:
            break
        }
        switch (schema.type, value) {
        case (.int8, .byte), (.int16, .short), (.int32, .int), (.int64, .long), (.float32, .float), (.float64, .double),
            (.boolean, .boolean), (.string, .string), (.array, .list), (.map, .map):
            return value
        case (.int8, _): if let n = value.longValue { return .byte(Int8(truncatingIfNeeded: n)) }
        case (.int16, _): if let n = value.longValue { return .short(Int16(truncatingIfNeeded: n)) }
        case (.int32, _): if let n = value.longValue { return .int(Int32(truncatingIfNeeded: n)) }
        case (.int64, _): if let n = value.longValue { return .long(n) }
        case (.float32, _): if let d = value.doubleValue { return .float(Float(d)) }
        case (.float64, _): if let d = value.doubleValue { return .double(d) }
        default: break
        }
        throw .data
    }

    // MARK: Java objects as Connect values

    /// A value is not valid for its schema (a time of day beyond 24 hours, a date with a time):
    /// Kafka keeps such a value; ConnectKit keeps the header's text instead.
    struct InvalidForSchema: Error {}

    /// The Connect value of a parsed Java object, read by `schema` as Kafka's logical types read
    /// `java.util.Date`s (a date without a schema is what it was parsed as).
    static func value(_ object: JavaObject?, schema: Schema?) throws(InvalidForSchema) -> Value {
        guard let object else { return .null }
        switch object {
        case .byte(let v): return .int8(v)
        case .short(let v): return .int16(v)
        case .int(let v): return .int32(v)
        case .long(let v): return .int64(v)
        case .float(let v): return .float32(v)
        case .double(let v): return .float64(v)
        case .decimal(let v): return .decimal(v)
        case .boolean(let v): return .boolean(v)
        case .string(let v): return .string(v)
        case .date(let ms, let parsedAs):
            let kind: LogicalType
            switch schema?.logicalType {
            case .date?: kind = .date
            case .time?: kind = .time
            case .timestamp?: kind = .timestamp
            default:
                // In a list or map without an element schema the Date has no schema to satisfy.
                let valid = parsedAs == .date ? ms % millisPerDay == 0 && Int32(exactly: ms / millisPerDay) != nil
                    : parsedAs == .time ? ms >= 0 && ms < millisPerDay : true
                kind = valid ? parsedAs : .timestamp
            }
            switch kind {
            case .date:
                guard ms % millisPerDay == 0, let days = Int32(exactly: ms / millisPerDay) else { throw InvalidForSchema() }
                return .date(days)
            case .time:
                guard ms >= 0, ms < millisPerDay else { throw InvalidForSchema() }
                return .time(Int32(ms))
            default: return .timestamp(ms)
            }
        case .list(let items):
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try value(item, schema: schema?.valueSchema)) }
            return .array(out)
        case .map(let m):
            var entries: [MapEntry] = []
            entries.reserveCapacity(m.keys.count)
            for (i, k) in m.keys.enumerated() {
                entries.append(MapEntry(key: try value(k, schema: schema?.keySchema), value: try value(m.values[i], schema: schema?.valueSchema)))
            }
            return .map(MapValue(entries: entries))
        }
    }
}
