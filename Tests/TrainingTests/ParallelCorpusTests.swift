import Testing
import TensorCore
@testable import Transformer
@testable import Training

private func pair(_ corpus: ParallelCorpus, source: String) -> ParallelCorpus.Pair? {
    (corpus.train + corpus.heldOut).first { $0.sourceText == source }
}

@Suite struct ParallelCorpusTests {
    @Test func parallelCorpusIsDeterministicForASeed() {
        let a = ParallelCorpus.generate(seed: 7)
        let b = ParallelCorpus.generate(seed: 7)
        let c = ParallelCorpus.generate(seed: 8)
        #expect(a.train == b.train)
        #expect(a.heldOut == b.heldOut)
        #expect(a.sourceVocabulary == b.sourceVocabulary)
        #expect(a.targetVocabulary == b.targetVocabulary)
        #expect(a.train != c.train)
        #expect(a.heldOut != c.heldOut)
    }

    @Test func seedSevenIsPinned() {
        // Golden values: a change to the templates, their order or the sampling shows up here.
        let corpus = ParallelCorpus.generate(seed: 7)
        #expect(corpus.train[2].sourceText == "学生昨天在家买了一只狗。")
        #expect(corpus.train[2].targetText == "the student bought a dog at home yesterday .")
        #expect(corpus.heldOut[0].sourceText == "他们昨天在家看到了一只鸟。")
        #expect(corpus.heldOut[0].targetText == "they saw a bird at home yesterday .")
        #expect(corpus.sourceVocabulary.count == 53)
        #expect(corpus.targetVocabulary.count == 60)
    }

    @Test func parallelCorpusHasTheRequestedSizes() {
        let corpus = ParallelCorpus.generate(seed: 7)
        #expect(corpus.train.count == 3000 + ParallelCorpus.fixedPairs.count)
        #expect(corpus.heldOut.count == 300)
        #expect(Set(corpus.train).count == corpus.train.count)
        #expect(Set(corpus.heldOut).count == corpus.heldOut.count)
        let small = ParallelCorpus.generate(seed: 7, trainCount: 10, heldOutCount: 5)
        #expect(small.train.count == 12)
        #expect(small.heldOut.count == 5)
    }

    @Test func heldOutCombinationsNeverOccurInTrain() {
        let corpus = ParallelCorpus.generate(seed: 7)
        for pair in corpus.train {
            #expect(!ParallelCorpus.containsHeldOutCombination(pair.slots), "\(pair.sourceText)")
            for combination in ParallelCorpus.heldOutCombinations {
                #expect(!(pair.slots[combination.slot] == combination.value
                          && pair.slots[combination.otherSlot] == combination.otherValue))
            }
        }
        #expect(corpus.heldOut.allSatisfy { ParallelCorpus.containsHeldOutCombination($0.slots) })
        #expect(Set(corpus.train).isDisjoint(with: corpus.heldOut))
        // Every held-out combination is actually tested.
        for combination in ParallelCorpus.heldOutCombinations {
            #expect(corpus.heldOut.contains { $0.slots[combination.slot] == combination.value
                                              && $0.slots[combination.otherSlot] == combination.otherValue },
                    "\(combination)")
        }
    }

    @Test func everySlotValueOccursInTrain() {
        let corpus = ParallelCorpus.generate(seed: 7)
        var all: [String: Set<String>] = [:]
        for pair in ParallelCorpus.allTemplatePairs() {
            for (slot, value) in pair.slots { all[slot, default: []].insert(value) }
        }
        var inTrain: [String: Set<String>] = [:]
        for pair in corpus.train {
            for (slot, value) in pair.slots { inTrain[slot, default: []].insert(value) }
        }
        #expect(all["subject"]?.count == ParallelCorpus.subjects.count)
        #expect(all["place"]?.count == ParallelCorpus.places.count)
        #expect(all["time"]?.count == ParallelCorpus.times.count)
        for (slot, values) in all {
            #expect(values.isSubset(of: inTrain[slot] ?? []), "slot \(slot): \(values.subtracting(inTrain[slot] ?? []))")
        }
        // And every token of the held-out pairs is in the vocabularies built from train.
        for pair in corpus.heldOut {
            #expect(pair.source.allSatisfy(corpus.sourceVocabulary.contains))
            #expect(pair.target.allSatisfy(corpus.targetVocabulary.contains))
        }
    }

    @Test func vocabulariesStartWithTheSpecialTokens() {
        let corpus = ParallelCorpus.generate(seed: 7)
        #expect(Array(corpus.sourceVocabulary.prefix(4)) == ["<pad>", "<s>", "</s>", "<unk>"])
        #expect(Array(corpus.targetVocabulary.prefix(4)) == ["<pad>", "<s>", "</s>", "<unk>"])
        #expect(Set(corpus.sourceVocabulary).count == corpus.sourceVocabulary.count)
        #expect(Set(corpus.targetVocabulary).count == corpus.targetVocabulary.count)
        #expect(corpus.sourceVocabulary.contains("猫"))
        #expect(corpus.sourceVocabulary.contains("。"))
        #expect(corpus.targetVocabulary.contains("garden"))
        #expect(corpus.targetVocabulary.contains("."))
        #expect(!corpus.targetVocabulary.contains("I"))
        // Chinese: one character per token.
        #expect(corpus.sourceVocabulary.dropFirst(4).allSatisfy { $0.count == 1 })
    }

    @Test func fixedPairsArePresent() {
        let corpus = ParallelCorpus.generate(seed: 3)
        let student = ParallelCorpus.Pair(source: ["我", "是", "一", "个", "学", "生", "。"],
                                          target: ["i", "am", "a", "student", "."], slots: ["template": "fixed"])
        let love = ParallelCorpus.Pair(source: ["我", "爱", "你", "。"], target: ["i", "love", "you", "."],
                                       slots: ["template": "fixed"])
        #expect(corpus.train.contains(student))
        #expect(corpus.train.contains(love))
    }

    @Test func generatedPairsReadLiterally() throws {
        let s = ParallelCorpus.subjects, v = ParallelCorpus.verbs, o = ParallelCorpus.objects
        let p = ParallelCorpus.places, t = ParallelCorpus.times
        let cat = ParallelCorpus.actionPair(subject: s[0], time: t[0], place: p[0], verb: v[0], object: o[0])
        #expect(cat.source.joined(separator: " ") == "我 昨 天 在 花 园 里 看 到 了 一 只 猫 。")
        #expect(cat.targetText == "i saw a cat in the garden yesterday .")
        #expect(cat.slots == ["template": "action", "subject": "我", "time": "昨天", "place": "在花园里",
                              "verb": "看到", "object": "一只猫"])

        let teacher = ParallelCorpus.actionPair(subject: s[6], time: t[3], place: p[1], verb: v[3], object: o[4])
        #expect(teacher.sourceText == "老师每天在学校买一个苹果。")
        #expect(teacher.targetText == "the teacher buys an apple at school every day .")

        let noPlace = ParallelCorpus.actionPair(subject: s[5], time: t[2], place: nil, verb: v[2], object: o[6])
        #expect(noPlace.sourceText == "他们上周画了一朵花。")
        #expect(noPlace.targetText == "they drew a flower last week .")

        let noTime = ParallelCorpus.actionPair(subject: s[3], time: nil, place: p[3], verb: v[1], object: o[3])
        #expect(noTime.sourceText == "她在家找到了一本书。")
        #expect(noTime.targetText == "she found a book at home .")

        let like = ParallelCorpus.likePair(subject: s[2], object: o[0])
        #expect(like.sourceText == "他喜欢猫。")
        #expect(like.targetText == "he likes cats .")

        // The generated corpus holds exactly these sentences (in train or held out, depending on the sample).
        let all = ParallelCorpus.allTemplatePairs()
        #expect(all.contains(cat) && all.contains(teacher) && all.contains(noPlace) && all.contains(like))
        #expect(all.count == 8 * 4 * 7 * (6 * 5 + 5 + 6) + 8 * 7)
        let corpus = ParallelCorpus.generate(seed: 7)
        let found = try #require(pair(corpus, source: corpus.train[5].sourceText))
        #expect(found == corpus.train[5])
    }

    @Test func englishVerbsAgreeWithTheirSubjects() {
        let corpus = ParallelCorpus.generate(seed: 7)
        let singular = Set(ParallelCorpus.subjects.filter(\.thirdPersonSingular).map(\.chinese))
        let presentForms = Set(ParallelCorpus.verbs.map(\.thirdPersonSingular) + ["likes"])
        let baseForms = Set(ParallelCorpus.verbs.map(\.base) + ["like"])
        let pastForms = Set(ParallelCorpus.verbs.map(\.past))
        var checkedSingular = 0, checkedPlural = 0, checkedPast = 0
        for pair in corpus.train + corpus.heldOut where pair.slots["template"] != "fixed" {
            guard let subject = pair.slots["subject"] else { Issue.record("no subject"); continue }
            let subjectLength = subject == "老师" || subject == "学生" ? 2 : 1   // "the teacher"
            let verb = pair.target[subjectLength]
            let habitual = pair.slots["template"] == "like"
                || ParallelCorpus.times.contains { $0.chinese == pair.slots["time"] && $0.habitual }
            if !habitual {
                #expect(pastForms.contains(verb), "\(pair.targetText)")
                #expect(pair.source.contains("了"), "\(pair.sourceText)")
                checkedPast += 1
            } else if singular.contains(subject) {
                #expect(presentForms.contains(verb), "\(pair.targetText)")
                #expect(!pair.source.contains("了"))
                checkedSingular += 1
            } else {
                #expect(baseForms.contains(verb), "\(pair.targetText)")
                #expect(!pair.source.contains("了"))
                checkedPlural += 1
            }
        }
        #expect(checkedSingular > 50 && checkedPlural > 50 && checkedPast > 500)
    }

    @Test func wordOrderDiffers() {
        // Chinese: time and place before the verb; English: after the object.
        let corpus = ParallelCorpus.generate(seed: 7)
        var checked = 0
        for pair in corpus.train where pair.slots["time"] != nil && pair.slots["place"] != nil {
            let zh = pair.sourceText
            let time = pair.slots["time"]!, place = pair.slots["place"]!, verb = pair.slots["verb"]!
            let timeIndex = zh.range(of: time)!.lowerBound, placeIndex = zh.range(of: place)!.lowerBound
            let verbIndex = zh.range(of: verb, range: placeIndex..<zh.endIndex)!.lowerBound
            #expect(timeIndex < placeIndex && placeIndex < verbIndex, "\(zh)")
            let english = pair.targetText
            let time_en = ParallelCorpus.times.first { $0.chinese == time }!.english
            let place_en = ParallelCorpus.places.first { $0.chinese == place }!.english
            #expect(english.hasSuffix("\(place_en) \(time_en) ."), "\(english)")
            checked += 1
        }
        #expect(checked > 1000)
    }

    @Test func tokenizersSplitAsDocumented() {
        #expect(ParallelCorpus.tokenizeChinese("我爱你。") == ["我", "爱", "你", "。"])
        #expect(ParallelCorpus.tokenizeEnglish("I love you, Tom.") == ["i", "love", "you", ",", "tom", "."])
        #expect(ParallelCorpus.tokenizeEnglish("") == [])
    }
}
