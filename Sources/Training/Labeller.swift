import Foundation
import TensorCore
import Transformer

// Lesson 13's toy "chat" task and its human. A request names two things, an object and a place
// ("cat garden"); an answer is one English sentence from the corpus's world. The labeller stands
// in for the people who rate a chatbot's answers: it has a taste (a hidden rule) that the models
// never see, it writes demonstrations for supervised fine-tuning, and it compares two answers
// with some noise, as real labellers disagree with each other and with themselves.

/// A request: "write a sentence about this object and this place".
public struct ChatRequest: Sendable, Hashable, CustomStringConvertible {
    /// The object's noun, singular ("cat", "apple").
    public let object: String
    /// The place's noun ("garden", "school").
    public let place: String

    /// A request for a sentence about `object` and `place`.
    public init(object: String, place: String) {
        self.object = object
        self.place = place
    }

    /// The request's words, as the model reads them.
    public var words: [String] { [object, place] }
    /// "object place", e.g. "cat garden".
    public var description: String { "\(object) \(place)" }
}

/// The set of requests and what counts as a sentence.
package enum ChatTask {
    /// The object nouns, from the corpus ("a cat" → "cat"), with their plurals ("cats").
    package static let objects: [(noun: String, plural: String)] = ParallelCorpus.objects.map {
        (String($0.english.split(separator: " ").last ?? ""), $0.plural)
    }

    /// The place nouns, from the corpus ("in the garden" → "garden", "at school" → "school").
    package static let places: [String] = ParallelCorpus.places.map { String($0.english.split(separator: " ").last ?? "") }

    /// Every object × place request, object-major (7 × 6 = 42).
    package static let allRequests: [ChatRequest] = objects.flatMap { object in
        places.map { ChatRequest(object: object.noun, place: $0) }
    }

    /// Requests never used in fine-tuning, reward modelling or PPO, only to measure: object i
    /// with place j where (i + j) is a multiple of 4. Every object and every place still occurs
    /// in training requests, so a model that does well here has learned to follow a request.
    package static let heldOutRequests: [ChatRequest] = allRequests.enumerated().filter { index, _ in
        (index / places.count + index % places.count) % 4 == 0
    }.map(\.element)

    package static let trainingRequests: [ChatRequest] = allRequests.filter { !heldOutRequests.contains($0) }

    /// Every sentence the corpus's templates can make (as space-joined English tokens): the
    /// labeller's idea of a complete, well-formed answer.
    package static let completeSentences: Set<String> = Set(
        (ParallelCorpus.allTemplatePairs() + ParallelCorpus.fixedPairs).map(\.targetText))

    /// Parses "cat garden" (or "cat, garden") into a request; nil when the words are not an object
    /// and a place of the task.
    package static func request(parsing text: String) -> ChatRequest? {
        let words = ParallelCorpus.tokenizeEnglish(text).filter { $0 != "," }
        guard words.count == 2 else { return nil }
        let object = objects.first { $0.noun == words[0] || $0.plural == words[0] }
        guard let object, places.contains(words[1]) else { return nil }
        return ChatRequest(object: object.noun, place: words[1])
    }
}

/// What the labeller sees in one answer.
package struct Judgement: Sendable, Equatable {
    package let mentionsObject: Bool
    package let mentionsPlace: Bool
    /// One of the corpus's sentences, ended with "." and then stopped.
    package let complete: Bool
    /// A word other than "the", "a" or "an" comes twice.
    package let repetitive: Bool

    /// The hidden rule: an answer that is not a complete sentence, or repeats itself, is worth
    /// nothing; otherwise half a point for the requested object and half for the requested place.
    package var quality: Double {
        guard complete, !repetitive else { return 0 }
        return (mentionsObject ? 0.5 : 0) + (mentionsPlace ? 0.5 : 0)
    }
}

/// The stand-in for a human: judges answers by a rule the models never see and compares two
/// answers with noise.
public struct Labeller: Sendable {
    /// How unsure the labeller is: it prefers answer A to B with probability
    /// σ((quality(A) − quality(B)) / noise). Two equally good answers are a coin toss.
    public var noise: Double

    /// A labeller with the given `noise` (> 0; the shipped models used 0.2).
    public init(noise: Double = 0.2) {
        self.noise = noise
    }

    /// Judges `answer` (the answer's words; `finished` says whether it ended with "</s>").
    package func judge(_ answer: [String], finished: Bool, for request: ChatRequest) -> Judgement {
        let plural = ChatTask.objects.first { $0.noun == request.object }?.plural ?? request.object + "s"
        var counts: [String: Int] = [:]
        for word in answer { counts[word, default: 0] += 1 }
        let repetitive = counts.contains { word, count in count > 1 && !["the", "a", "an"].contains(word) }
        return Judgement(mentionsObject: answer.contains(request.object) || answer.contains(plural),
                         mentionsPlace: answer.contains(request.place),
                         complete: finished && ChatTask.completeSentences.contains(answer.joined(separator: " ")),
                         repetitive: repetitive)
    }

    /// The true quality of an answer, 0…1 (what the lesson measures; never shown to a model).
    package func quality(of answer: [String], finished: Bool, for request: ChatRequest) -> Double {
        judge(answer, finished: finished, for: request).quality
    }

    /// The probability that the labeller prefers an answer of quality `first` to one of quality `second`.
    package func probabilityOfPreferringFirst(_ first: Double, _ second: Double) -> Double {
        1 / (1 + exp(-(first - second) / noise))
    }

    /// One noisy comparison: true when the labeller prefers the first answer.
    package func prefersFirst(_ first: Double, _ second: Double, using generator: inout SeededGenerator) -> Bool {
        Double(generator.nextUniform()) < probabilityOfPreferringFirst(first, second)
    }

    /// A demonstration: a good answer to `request` written by the rule, with a random subject,
    /// verb and (sometimes) time, the way different people would write it.
    package func demonstration(for request: ChatRequest, using generator: inout SeededGenerator) -> [String] {
        func pick<T>(_ items: [T]) -> T { items[Int(generator.next() % UInt64(items.count))] }
        let object = ParallelCorpus.objects.first { $0.english.hasSuffix(" " + request.object) } ?? ParallelCorpus.objects[0]
        let place = ParallelCorpus.places.first { $0.english.hasSuffix(" " + request.place) } ?? ParallelCorpus.places[0]
        let times: [ParallelCorpus.Time?] = [nil] + ParallelCorpus.times.map(Optional.some)
        let pair = ParallelCorpus.actionPair(subject: pick(ParallelCorpus.subjects), time: pick(times), place: place,
                                             verb: pick(ParallelCorpus.verbs), object: object)
        return pair.target
    }
}
