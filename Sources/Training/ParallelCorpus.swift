import TensorCore
import Transformer

/// A toy Chinese → English parallel corpus, generated from templates written for this project,
/// for training a small translator.
///
/// Chinese is tokenised one token per character (punctuation its own token), English one token
/// per word, lower-case, punctuation its own token. The templates are chosen so that word order
/// differs between the languages: Chinese puts the time and the place BEFORE the verb, English
/// puts them AFTER the object:
///
///     我 昨 天 在 花 园 里 看 到 了 一 只 猫 。
///     i saw a cat in the garden yesterday .
///
/// Templates (every pair records its slot values, in Chinese, in `slots`):
/// - `action`: subject [time] [place] verb(了) object 。 (at least one of time and place).
///   Past times (昨天, 今天, 上周) and no time give the past ("saw", 了); habitual times
///   (每天, 每周) the present with agreement ("he sees", "i see").
/// - `like`: subject 喜欢 noun 。 ↔ subject like(s) nouns . (Chinese has no plural; English does.)
/// - `fixed`: 我是一个学生 ↔ i am a student, 我爱你 ↔ i love you.
///
/// Some COMBINATIONS of slot values (`heldOutCombinations`, e.g. 她 with 在图书馆) never occur in
/// `train`, only in `heldOut`, while every single slot value does occur in `train`: a model that
/// translates the held-out pairs has learned to combine, not to remember.
public struct ParallelCorpus: Sendable {
    /// One sentence pair, already tokenised.
    public struct Pair: Sendable, Equatable, Hashable {
        /// Chinese tokens (one per character).
        public let source: [String]
        /// English tokens (one per word or punctuation mark).
        public let target: [String]
        /// The template ("template": "action" | "like" | "fixed") and the slot values in
        /// Chinese: "subject", "verb", "object", "place", "time" (those the template uses).
        public let slots: [String: String]

        /// A pair from its tokens and the slot values that made it.
        public init(source: [String], target: [String], slots: [String: String]) {
            self.source = source
            self.target = target
            self.slots = slots
        }

        /// The Chinese sentence without spaces.
        public var sourceText: String { source.joined() }
        /// The English sentence, tokens joined by spaces.
        public var targetText: String { target.joined(separator: " ") }
    }

    /// A subject: Chinese, English, and whether English uses the third person singular.
    package struct Subject: Sendable {
        package let chinese: String
        package let english: String
        package let thirdPersonSingular: Bool
    }

    /// A verb: Chinese, English past, base and third-person-singular forms.
    package struct Verb: Sendable {
        package let chinese: String
        package let past: String
        package let base: String
        package let thirdPersonSingular: String
    }

    /// An object: with its classifier (一只猫 / a cat) and bare (猫 / cats, for `like`).
    package struct Object: Sendable {
        package let chinese: String
        package let english: String
        package let bareChinese: String
        package let plural: String
    }

    /// A place or a time phrase.
    package struct Phrase: Sendable {
        package let chinese: String
        package let english: String
    }

    /// A time phrase and whether it calls for the habitual present (每天) or the past (昨天).
    package struct Time: Sendable {
        package let chinese: String
        package let english: String
        package let habitual: Bool
    }

    /// Two slot values that never occur together in `train`.
    package struct Combination: Sendable, Equatable {
        package let slot: String
        package let value: String
        package let otherSlot: String
        package let otherValue: String
    }

    /// The special tokens, at ids 0…3 of both vocabularies: padding, start, end, unknown.
    public static let specialTokens = ["<pad>", "<s>", "</s>", "<unk>"]

    package static let subjects: [Subject] = [
        Subject(chinese: "我", english: "i", thirdPersonSingular: false),
        Subject(chinese: "你", english: "you", thirdPersonSingular: false),
        Subject(chinese: "他", english: "he", thirdPersonSingular: true),
        Subject(chinese: "她", english: "she", thirdPersonSingular: true),
        Subject(chinese: "我们", english: "we", thirdPersonSingular: false),
        Subject(chinese: "他们", english: "they", thirdPersonSingular: false),
        Subject(chinese: "老师", english: "the teacher", thirdPersonSingular: true),
        Subject(chinese: "学生", english: "the student", thirdPersonSingular: true),
    ]

    package static let verbs: [Verb] = [
        Verb(chinese: "看到", past: "saw", base: "see", thirdPersonSingular: "sees"),
        Verb(chinese: "找到", past: "found", base: "find", thirdPersonSingular: "finds"),
        Verb(chinese: "画", past: "drew", base: "draw", thirdPersonSingular: "draws"),
        Verb(chinese: "买", past: "bought", base: "buy", thirdPersonSingular: "buys"),
    ]

    package static let objects: [Object] = [
        Object(chinese: "一只猫", english: "a cat", bareChinese: "猫", plural: "cats"),
        Object(chinese: "一只狗", english: "a dog", bareChinese: "狗", plural: "dogs"),
        Object(chinese: "一只鸟", english: "a bird", bareChinese: "鸟", plural: "birds"),
        Object(chinese: "一本书", english: "a book", bareChinese: "书", plural: "books"),
        Object(chinese: "一个苹果", english: "an apple", bareChinese: "苹果", plural: "apples"),
        Object(chinese: "一个球", english: "a ball", bareChinese: "球", plural: "balls"),
        Object(chinese: "一朵花", english: "a flower", bareChinese: "花", plural: "flowers"),
    ]

    package static let places: [Phrase] = [
        Phrase(chinese: "在花园里", english: "in the garden"),
        Phrase(chinese: "在学校", english: "at school"),
        Phrase(chinese: "在公园里", english: "in the park"),
        Phrase(chinese: "在家", english: "at home"),
        Phrase(chinese: "在图书馆", english: "in the library"),
        Phrase(chinese: "在商店里", english: "in the shop"),
    ]

    package static let times: [Time] = [
        Time(chinese: "昨天", english: "yesterday", habitual: false),
        Time(chinese: "今天", english: "today", habitual: false),
        Time(chinese: "上周", english: "last week", habitual: false),
        Time(chinese: "每天", english: "every day", habitual: true),
        Time(chinese: "每周", english: "every week", habitual: true),
    ]

    /// Slot combinations kept out of `train`: three subject × place, two time × object.
    package static let heldOutCombinations: [Combination] = [
        Combination(slot: "subject", value: "她", otherSlot: "place", otherValue: "在图书馆"),
        Combination(slot: "subject", value: "老师", otherSlot: "place", otherValue: "在公园里"),
        Combination(slot: "subject", value: "我们", otherSlot: "place", otherValue: "在家"),
        Combination(slot: "time", value: "昨天", otherSlot: "object", otherValue: "一只鸟"),
        Combination(slot: "time", value: "每天", otherSlot: "object", otherValue: "一个苹果"),
    ]

    /// The two pairs from the project's seed notes, always in `train`.
    package static let fixedPairs: [Pair] = [
        Pair(source: tokenizeChinese("我是一个学生。"), target: tokenizeEnglish("I am a student."),
             slots: ["template": "fixed"]),
        Pair(source: tokenizeChinese("我爱你。"), target: tokenizeEnglish("I love you."),
             slots: ["template": "fixed"]),
    ]

    /// The seed the corpus was generated with.
    public let seed: UInt64
    /// Training pairs (the fixed pairs first, then a seeded sample of the other pairs).
    public let train: [Pair]
    /// Pairs each containing at least one held-out combination; none of them is in `train`.
    public let heldOut: [Pair]
    /// `specialTokens`, then every Chinese token of `train`, sorted.
    public let sourceVocabulary: [String]
    /// `specialTokens`, then every English token of `train`, sorted.
    public let targetVocabulary: [String]

    /// One token per character; whitespace dropped.
    public static func tokenizeChinese(_ text: String) -> [String] {
        text.filter { !$0.isWhitespace }.map { String($0) }
    }

    /// Lower-case words split on spaces; punctuation (anything not a letter, digit or ')
    /// becomes its own token.
    public static func tokenizeEnglish(_ text: String) -> [String] {
        var tokens: [String] = []
        var word = ""
        for character in text.lowercased() {
            if character.isLetter || character.isNumber || character == "'" {
                word.append(character)
            } else {
                if !word.isEmpty { tokens.append(word); word = "" }
                if !character.isWhitespace { tokens.append(String(character)) }
            }
        }
        if !word.isEmpty { tokens.append(word) }
        return tokens
    }

    /// Whether the slots contain one of `heldOutCombinations`.
    package static func containsHeldOutCombination(_ slots: [String: String]) -> Bool {
        heldOutCombinations.contains { slots[$0.slot] == $0.value && slots[$0.otherSlot] == $0.otherValue }
    }

    /// The action sentence for the given slots (nil time or place: left out).
    /// Past unless the time is habitual; the Chinese past adds 了 after the verb.
    package static func actionPair(subject: Subject, time: Time?, place: Phrase?,
                                  verb: Verb, object: Object) -> Pair {
        let habitual = time?.habitual ?? false
        var chinese = subject.chinese + (time?.chinese ?? "") + (place?.chinese ?? "") + verb.chinese
        if !habitual { chinese += "了" }
        chinese += object.chinese + "。"
        let verbForm = habitual ? (subject.thirdPersonSingular ? verb.thirdPersonSingular : verb.base) : verb.past
        var english = [subject.english, verbForm, object.english]
        if let place { english.append(place.english) }
        if let time { english.append(time.english) }
        var slots = ["template": "action", "subject": subject.chinese, "verb": verb.chinese,
                     "object": object.chinese]
        if let time { slots["time"] = time.chinese }
        if let place { slots["place"] = place.chinese }
        return Pair(source: tokenizeChinese(chinese),
                    target: tokenizeEnglish(english.joined(separator: " ") + "."), slots: slots)
    }

    /// subject 喜欢 noun 。 ↔ subject like(s) nouns .
    package static func likePair(subject: Subject, object: Object) -> Pair {
        let verb = subject.thirdPersonSingular ? "likes" : "like"
        return Pair(source: tokenizeChinese(subject.chinese + "喜欢" + object.bareChinese + "。"),
                    target: tokenizeEnglish("\(subject.english) \(verb) \(object.plural)."),
                    slots: ["template": "like", "subject": subject.chinese, "verb": "喜欢",
                            "object": object.bareChinese])
    }

    /// Every pair the templates can make (fixed pairs excluded), in a fixed order.
    package static func allTemplatePairs() -> [Pair] {
        var pairs: [Pair] = []
        for subject in subjects {
            for verb in verbs {
                for object in objects {
                    for time in [Time?.none] + times.map(Optional.some) {
                        for place in [Phrase?.none] + places.map(Optional.some) where time != nil || place != nil {
                            pairs.append(actionPair(subject: subject, time: time, place: place,
                                                    verb: verb, object: object))
                        }
                    }
                }
            }
            for object in objects { pairs.append(likePair(subject: subject, object: object)) }
        }
        return pairs
    }

    /// Generates the corpus: `trainCount` template pairs (plus the fixed pairs) sampled without
    /// replacement from those with no held-out combination, and `heldOutCount` from those with one.
    /// The same seed gives the same corpus.
    public static func generate(seed: UInt64, trainCount: Int = 3000, heldOutCount: Int = 300) -> ParallelCorpus {
        var rng = SeededGenerator(seed: seed)
        let all = allTemplatePairs()
        var seen = all.filter { !containsHeldOutCombination($0.slots) }
        var unseen = all.filter { containsHeldOutCombination($0.slots) }
        shuffle(&seen, using: &rng)
        shuffle(&unseen, using: &rng)
        let train = fixedPairs + seen.prefix(max(0, trainCount))
        let heldOut = Array(unseen.prefix(max(0, heldOutCount)))
        return ParallelCorpus(seed: seed, train: train, heldOut: heldOut,
                              sourceVocabulary: vocabulary(train.map(\.source)),
                              targetVocabulary: vocabulary(train.map(\.target)))
    }

    private static func vocabulary(_ sentences: [[String]]) -> [String] {
        let tokens = Set(sentences.joined()).subtracting(specialTokens)
        return specialTokens + tokens.sorted()
    }

    /// Fisher–Yates with the project's seeded generator (rejection sampling: no modulo bias).
    private static func shuffle(_ items: inout [Pair], using rng: inout SeededGenerator) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let bound = UInt64(i + 1)
            let limit = UInt64.max - UInt64.max % bound
            var draw = rng.next()
            while draw >= limit { draw = rng.next() }
            items.swapAt(i, Int(draw % bound))
        }
    }
}
