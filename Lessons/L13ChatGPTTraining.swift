import Figures
import Foundation
import Localization
import TensorCore
import Terminal
import TrainedModels
import Training
import Transformer

/// Lesson 13: how ChatGPT is trained, every stage run on the project's own small models:
/// pre-training (the language model of `tx train lm`), supervised fine-tuning on demonstrations,
/// a reward model trained on a labeller's noisy comparisons, and PPO against it with a KL
/// penalty, including what happens without the penalty. The weights are the shipped ones
/// (`tx train sft|reward|ppo`); everything stated is measured here or read from the training
/// records in the weight files.
struct ChatGPTTrainingLesson {
    let context: LessonContext

    /// Answers sampled per held-out request when measuring a model.
    static let samplesPerRequest = 8
    /// The requests of the answers table.
    static let tableRequests = [ChatRequest(object: "cat", place: "garden"), ChatRequest(object: "bird", place: "park"),
                                ChatRequest(object: "book", place: "shop")]

    struct Stage {
        let name: String
        let model: ChatModel
        var quality: AnswerQuality
        var answers: [SampledAnswer]
        var meanReward: Double
        var kl: Double?
    }

    func run() throws -> LessonRun {
        let lesson = try LessonCatalog.lookup("chatgpt-training")
        let figures = try FigureWriter(context: context, lesson: lesson.directoryName)
        let narrator = Narrator(style: context.style)
        let prose = narrator.prose, figureLine = narrator.figureLine
        var steps: [PagerStep] = []
        let labeller = Labeller()
        let heldOut = ChatTask.heldOutRequests

        let pretrained = ChatModel(try TrainedModels.languageModel())
        let sft = try TrainedModels.chatModel(.sft)
        let rewardModel = try TrainedModels.rewardModel()
        let ppo = try TrainedModels.chatModel(.ppo)
        let hacked = try TrainedModels.chatModel(.ppoWithoutKL)
        let sftRecord = try TrainedModels.metadata(of: .sft)
        let rewardRecord = try TrainedModels.metadata(of: .rewardModel)
        let ppoRecord = try TrainedModels.metadata(of: .ppo)
        let hackedRecord = try TrainedModels.metadata(of: .ppoWithoutKL)

        func percent(_ share: Double) -> String { String(format: "%.0f%%", share * 100) }
        func meanReward(_ answers: [SampledAnswer]) throws -> Double {
            var total = 0.0
            for start in stride(from: 0, to: answers.count, by: 64) {
                let slice = answers[start..<min(start + 64, answers.count)]
                total += try rewardModel.rewards(slice.map { sft.sequence($0.request, answer: $0.ids, finished: $0.finished) })
                    .value.scalars.reduce(0.0) { $0 + Double($1) }
            }
            return total / Double(max(answers.count, 1))
        }
        func measure(_ name: String, _ model: ChatModel, klToSFT: Bool) throws -> Stage {
            let (quality, answers) = try measureAnswers(model, requests: heldOut, samplesPerRequest: Self.samplesPerRequest,
                                                        labeller: labeller, seed: context.seed)
            return Stage(name: name, model: model, quality: quality, answers: answers, meanReward: try meanReward(answers),
                         kl: klToSFT ? try meanTokenKL(policy: model, reference: sft, answers: answers) : nil)
        }
        let stages = [try measure(localized("pre-trained"), pretrained, klToSFT: false), try measure("SFT", sft, klToSFT: false),
                      try measure("PPO, β = \(ppoRecord["beta"] ?? "?")", ppo, klToSFT: true),
                      try measure("PPO, β = 0", hacked, klToSFT: true)]
        let (base, tuned, optimised, hackedStage) = (stages[0], stages[1], stages[2], stages[3])
        let answersMeasured = heldOut.count * Self.samplesPerRequest

        // 1. The four stages.
        let diagram = PipelineDiagram(
            title: localized("How ChatGPT is trained: four stages, each run here on a small model"),
            subtitle: localized("a request such as \"cat garden\" asks for a sentence about a cat and a garden"),
            stages: [
                .init(heading: localized("1 · Pre-training"), lines: [localized("文字接龙 on 3,000 sentences"), localized("predict the next word"), localized("no labels needed"), "tx train lm"], color: RGB(hex: 0x4E79A7)),
                .init(heading: localized("2 · Supervised fine-tuning"), lines: [localized("\(sftRecord["demonstrations"] ?? "?") demonstrations"), localized("request → a good answer"), localized("same cross-entropy"), "tx train sft"], color: RGB(hex: 0x59A14F)),
                .init(heading: localized("3 · Reward model"), lines: [localized("labeller compares answers"), localized("SFT body + scalar head"), "−log σ(r⁺ − r⁻)", "tx train reward"], color: RGB(hex: 0xF28E2B)),
                .init(heading: localized("4 · Reinforcement learning"), lines: [localized("policy samples answers"), localized("reward model scores them"), localized("PPO − β·KL to SFT"), "tx train ppo"], color: RGB(hex: 0xE15759)),
            ],
            arrowLabels: [localized("weights"), localized("weights"), localized("scores")])
        let diagramPath = try figures.write(diagram, as: "01-four-stages.png")
        steps.append(PagerStep(title: localized("From 文字接龙 to a chat model"), body: prose("""
            Lesson 0's model plays 文字接龙: given some words, it guesses the next one. Trained on \
            enough text that game makes a foundation model, but not an assistant: asked a question, \
            it continues the text in any way that is plausible, which may be an answer, another \
            question, or a list of options. InstructGPT and ChatGPT were made from such a model in \
            three more stages: people write good answers to requests and the model is fine-tuned on \
            them (SFT); people compare the model's answers and a second model, the reward model, \
            learns to predict their verdicts; then the model is trained by reinforcement learning \
            to write answers the reward model scores highly.

            This lesson runs all four stages on this project's small models. The task: a request \
            names an object and a place, such as "cat garden", and a good answer is one sentence \
            about both. A hidden labeller stands in for the people; its rule is shown to you, but \
            never to any model.
            """) + "\n\n" + figureLine(diagramPath)))

        // 2. The labeller.
        let examples: [(words: [String], finished: Bool)] = [
            (["she", "saw", "a", "cat", "in", "the", "garden", "."], true),
            (["she", "saw", "a", "cat", "at", "school", "."], true),
            (["i", "like", "cats", "."], true),
            (["she", "saw", "a", "cat", "in", "the", "garden", "in", "the", "garden", "."], true),
        ]
        let request = ChatRequest(object: "cat", place: "garden")
        let exampleLines = examples.map { example -> String in
            let judgement = labeller.judge(example.words, finished: example.finished, for: request)
            let notes = [judgement.mentionsObject ? localized("object ✓") : localized("object ✗"),
                         judgement.mentionsPlace ? localized("place ✓") : localized("place ✗"),
                         judgement.complete ? localized("complete ✓") : localized("complete ✗"),
                         judgement.repetitive ? localized("repeats ✗") : localized("no repeats ✓")]
            // Two lines per answer, so the table fits an 80-column terminal.
            return "    \(String(format: "%.1f", judgement.quality))  \(example.words.joined(separator: " "))\n"
                + "         " + notes.joined(separator: " · ")
        }.joined(separator: "\n")
        let oneApart = labeller.probabilityOfPreferringFirst(1, 0.5)
        steps.append(PagerStep(title: localized("A labeller with a hidden taste"), body: prose("""
            The labeller's rule: an answer that is not a complete sentence of the corpus, or that \
            repeats a word (other than "the", "a", "an"), is worth 0; otherwise it earns half a \
            point for naming the requested object and half for the requested place. For the \
            request "\(request)":
            """) + "\n\n" + exampleLines + "\n\n" + prose("""
            Real labellers disagree, so this one is noisy: it prefers answer A to answer B with \
            probability σ((q_A − q_B) / \(labeller.noise)). An answer worth 1 beats one worth 0.5 \
            \(percent(oneApart)) of the time, and two equally good answers are a coin toss. \
            \(ChatTask.allRequests.count) requests exist; \(heldOut.count) of them (such as \
            "\(heldOut[0])") are never used in training and only measure the models, \
            \(Self.samplesPerRequest) sampled answers each.
            """)))

        // 3. Stage 1: the pre-trained model.
        steps.append(PagerStep(title: localized("Stage 1: the pre-trained model plays 文字接龙"), body: prose("""
            The language model of lessons 0 and 12 (tx train lm) has read \
            3,000 corpus sentences and nothing else. It reads a request as "<s> cat garden <s>" \
            and continues. It writes fluent sentences (\(percent(base.quality.completeShare)) of its \
            \(answersMeasured) answers to the held-out requests are complete), but it has never seen \
            a request, so it ignores it: only \(percent(base.quality.mentionsObjectShare)) name the \
            object and \(percent(base.quality.mentionsPlaceShare)) the place. Mean true quality: \
            \(percent(base.quality.meanQuality)).
            """)))

        // 4. Stage 2: SFT.
        let sftLosses = decodeList(sftRecord["losses"]) ?? []
        let lossPath = try figures.write(LineChart(
            title: localized("Stage 2: supervised fine-tuning loss"),
            xLabel: localized("step"), yLabel: localized("cross-entropy on the answer's words (nats)"),
            series: [.init(name: localized("training batch"), points: sftLosses.enumerated().map { (x: Double($0.offset + 1), y: $0.element) },
                           color: RGB(hex: 0x59A14F), showMarkers: false, lineWidth: 1.5)],
            subtitle: localized("\(sftRecord["demonstrations"] ?? "?") demonstrations written by the labeller's rule · \(sftLosses.count) steps, \(sftRecord["batchSize"] ?? "?") demonstrations per step")),
            as: "02-sft-loss.png")
        let prefix = ["she", "saw", "a"]
        let before = try pretrained.nextTokenProbabilities(request, answerSoFar: prefix)
        let after = try sft.nextTokenProbabilities(request, answerSoFar: prefix)
        let objectNouns = ChatTask.objects.map(\.noun).filter { pretrained.vocabulary.contains($0) }
        let objectIDs = objectNouns.map { pretrained.languageModel.ids([$0])[0] }
        let distributionPath = try figures.write(GroupedBarChart(
            title: localized("The next word after \"\(prefix.joined(separator: " "))\", asked for \"\(request)\""),
            subtitle: localized("probability of each object word, before and after fine-tuning"),
            categories: objectNouns,
            series: [.init(name: localized("pre-trained"), values: objectIDs.map { Double(before[$0]) * 100 }, color: RGB(hex: 0x4E79A7)),
                     .init(name: localized("after SFT"), values: objectIDs.map { Double(after[$0]) * 100 }, color: RGB(hex: 0x59A14F))],
            yLabel: localized("probability"), valueFormat: "%.0f%%"), as: "03-sft-next-word.png")
        let catIndex = objectNouns.firstIndex(of: request.object) ?? 0
        steps.append(PagerStep(title: localized("Stage 2: a teacher shows good answers (SFT)"), body: prose("""
            The labeller writes \(sftRecord["demonstrations"] ?? "?") demonstrations, a good answer \
            for each of the training requests in turn, and the model is trained on them with the \
            same cross-entropy as in pre-training, counting only the answer's words. The loss fell \
            from \(String(format: "%.2f", sftLosses.first ?? .nan)) to \(String(format: "%.2f", sftLosses.last ?? .nan)) nats \
            per word in \(sftLosses.count) steps. Few examples are enough because the model could \
            already write these sentences; fine-tuning only makes it prefer the ones that fit \
            the request. After "\(prefix.joined(separator: " "))" for "\(request)", the probability \
            of "\(request.object)" went from \(percent(Double(before[objectIDs[catIndex]]))) to \
            \(percent(Double(after[objectIDs[catIndex]]))).

            On the held-out requests, mean true quality rose from \(percent(base.quality.meanQuality)) \
            to \(percent(tuned.quality.meanQuality)): \(percent(tuned.quality.mentionsObjectShare)) name \
            the object, \(percent(tuned.quality.mentionsPlaceShare)) the place, and \
            \(percent(tuned.quality.perfectShare)) are perfect. Sampling still wanders: the model \
            follows the request more often, not always.
            """) + "\n\n" + figureLine(lossPath) + "\n" + figureLine(distributionPath)))

        // 5. Stage 3: the reward model.
        let rewardLosses = decodeList(rewardRecord["losses"]) ?? []
        let batchAccuracies = decodeList(rewardRecord["batchAccuracies"]) ?? []
        func smoothed(_ values: [Double], window: Int = 10) -> [(x: Double, y: Double)] {
            values.indices.map { i in
                let slice = values[max(0, i - window + 1)...i]
                return (x: Double(i + 1), y: slice.reduce(0, +) / Double(slice.count))
            }
        }
        let trainingPath = try figures.write(PanelGrid(
            title: localized("Stage 3: training the reward model on the labeller's comparisons"),
            columns: 2,
            panels: [
                LineChart(title: localized("Bradley–Terry loss"), xLabel: localized("step"), yLabel: "−log σ(r⁺ − r⁻)",
                          series: [.init(name: localized("batch"), points: smoothed(rewardLosses, window: 1), color: RGB(hex: 0xBAB0AC), showMarkers: false, lineWidth: 1),
                                   .init(name: localized("mean of 10"), points: smoothed(rewardLosses), color: RGB(hex: 0xF28E2B), showMarkers: false, lineWidth: 2)],
                          plotSize: Size(width: 420, height: 280)),
                LineChart(title: localized("agreement with the labeller"), xLabel: localized("step"), yLabel: localized("share of the batch's pairs"),
                          series: [.init(name: localized("batch"), points: smoothed(batchAccuracies, window: 1), color: RGB(hex: 0xBAB0AC), showMarkers: false, lineWidth: 1),
                                   .init(name: localized("mean of 10"), points: smoothed(batchAccuracies), color: RGB(hex: 0xF28E2B), showMarkers: false, lineWidth: 2)],
                          yRange: 0...1, plotSize: Size(width: 420, height: 280)),
            ], subtitle: localized("\(rewardRecord["trainingPairs"].flatMap { Int($0) }.map(narrator.grouped) ?? "?") pairs of SFT answers to the training requests · \(rewardLosses.count) steps · agreement: a tied score counts half")),
            as: "04-reward-model-training.png")
        // The held-out pairs `tx train reward` measured (same seeds), recomputed from the shipped weights.
        let trainingSeed = UInt64(rewardRecord["seed"] ?? "") ?? RewardModelOptions().seed
        let pairs = try collectPreferences(from: sft, requests: heldOut, answersPerRequest: RewardModelOptions().answersPerRequest,
                                           rounds: RewardModelOptions().heldOutRounds, labeller: labeller, seed: trainingSeed &+ 10)
        let measured = try pairwiseAccuracy(rewardModel, on: pairs, chat: sft, labeller: labeller, seed: trainingSeed &+ 20)
        let accuracy = measured.accuracy
        let allScores = measured.preferredScores + measured.rejectedScores
        let low = Double(allScores.min() ?? 0), high = Double(allScores.max() ?? 1)
        let binCount = 12
        let width = max((high - low) / Double(binCount), 1e-6)
        func histogram(_ scores: [Float]) -> [Double] {
            var counts = [Double](repeating: 0, count: binCount)
            for score in scores { counts[min(binCount - 1, Int((Double(score) - low) / width))] += 1 }
            return counts.map { $0 / Double(max(scores.count, 1)) * 100 }
        }
        let histogramPath = try figures.write(GroupedBarChart(
            title: localized("Reward-model scores of the answers the labeller preferred and rejected"),
            subtitle: localized("\(narrator.grouped(accuracy.pairs)) pairs of SFT answers to held-out requests · the reward model ranks \(percent(accuracy.rewardModel)) of them as the labeller did"),
            // A real minus sign, as on every axis the figures number themselves.
            categories: (0..<binCount).map {
                String(format: "%.1f", low + (Double($0) + 0.5) * width).replacingOccurrences(of: "-", with: "−")
            },
            series: [.init(name: localized("preferred"), values: histogram(measured.preferredScores), color: RGB(hex: 0x59A14F)),
                     .init(name: localized("rejected"), values: histogram(measured.rejectedScores), color: RGB(hex: 0xF28E2B))],
            yLabel: localized("share of answers"), valueFormat: "%.0f%%", xLabel: localized("reward (bin centre)")),
            as: "05-reward-scores.png")
        let rewardOptions = RewardModelOptions()
        let k = rewardOptions.answersPerRequest, pairsPerGroup = k * (k - 1) / 2
        let trainingPairCount = rewardOptions.trainingRounds * ChatTask.trainingRequests.count * pairsPerGroup
        steps.append(PagerStep(title: localized("Stage 3: a model that imitates the labeller"), body: prose("""
            People cannot rate millions of answers, so a reward model learns to imitate them. In \
            each round the SFT model answers every training request \(k) times and the labeller \
            compares every pair of those \(k) answers, \(k)·\(k - 1)/2 = \(pairsPerGroup) pairs (it only \
            judges, it writes nothing). \(rewardOptions.trainingRounds) rounds × \
            \(ChatTask.trainingRequests.count) requests × \(pairsPerGroup) pairs = \
            \(narrator.grouped(trainingPairCount)) ranked pairs\(rewardRecord["trainingPairs"].map { $0 == String(trainingPairCount) ? "" : localized(" (the shipped model's record says \($0))") } ?? ""). The reward model is the SFT model with its output layer replaced by a \
            single number read at the last token, trained with the Bradley–Terry loss \
            −log σ(r(preferred) − r(rejected)): only the difference of two scores matters.

            On \(rewardOptions.heldOutRounds) rounds × \(heldOut.count) held-out requests × \
            \(pairsPerGroup) = \(narrator.grouped(accuracy.pairs)) pairs, never trained on, it ranks \
            \(percent(accuracy.rewardModel)) the way the labeller did. No judge can reach 100% \
            against noisy verdicts: one who knew the hidden rule exactly would agree \
            \(percent(accuracy.ceiling)) of the time (many pairs are equally good answers, a coin \
            toss), and the labeller agrees with a second pass of itself \(percent(accuracy.selfAgreement)) \
            of the time. So the reward model reaches \(percent(accuracy.rewardModel / max(accuracy.ceiling, 1e-9))) \
            of the ceiling.
            """) + "\n\n" + figureLine(trainingPath) + "\n" + figureLine(histogramPath)))

        // 6. Stage 4: PPO, with and without the KL penalty.
        func history(_ record: [String: String], _ key: String) -> [Double] { decodeList(record[key]) ?? [] }
        let beta = ppoRecord["beta"] ?? "?"
        let withPenalty = RGB(hex: 0x4E79A7), without = RGB(hex: 0xE15759)
        // Three panels of the same two lines: one legend under the title, not one per panel, and
        // tall plots so the figure is near 16:9 (a slide poster).
        func curves(_ key: String, title: String, yLabel: String, scale: Double = 1) -> LineChart {
            var chart = LineChart(title: title, xLabel: localized("PPO update"), yLabel: yLabel,
                      series: [.init(name: "β = \(beta)", points: smoothed(history(ppoRecord, key).map { $0 * scale }), color: withPenalty, showMarkers: false, lineWidth: 2),
                               .init(name: "β = 0", points: smoothed(history(hackedRecord, key).map { $0 * scale }), color: without, showMarkers: false, lineWidth: 2)],
                      plotSize: Size(width: 380, height: 380))
            chart.showsLegend = false
            return chart
        }
        var curvesGrid = PanelGrid(
            title: localized("Stage 4: PPO against the reward model, with and without the KL penalty"),
            columns: 3,
            panels: [curves("historyReward", title: localized("reward-model score"), yLabel: localized("mean reward")),
                     curves("historyQuality", title: localized("true quality (the labeller)"), yLabel: localized("mean quality (%)"), scale: 100),
                     curves("historyKL", title: localized("KL(policy ‖ SFT) per token"), yLabel: localized("nats"))],
            subtitle: localized("answers sampled during training, mean of 10 updates · the labeller's rule is measured, never trained on"))
        curvesGrid.legend = [.init(name: "β = \(beta)", color: withPenalty), .init(name: "β = 0", color: without)]
        let curvesPath = try figures.write(curvesGrid, as: "06-ppo-curves.png")
        let ppoRewards = history(ppoRecord, "historyReward"), hackedRewards = history(hackedRecord, "historyReward")
        let ppoQuality = history(ppoRecord, "historyQuality"), hackedQuality = history(hackedRecord, "historyQuality")
        func average(_ values: ArraySlice<Double>) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
        let windowSize = 10
        let hackedStart = (reward: average(hackedRewards.prefix(windowSize)), quality: average(hackedQuality.prefix(windowSize)))
        let hackedEnd = (reward: average(hackedRewards.suffix(windowSize)), quality: average(hackedQuality.suffix(windowSize)))
        let hackedPeak = hackedQuality.indices.map { average(hackedQuality[max(0, $0 - windowSize + 1)...$0]) }.max() ?? 0
        // What the closing sentence of the reward-hacking step may claim, from these numbers.
        let hackingShown = hackedEnd.quality < hackedPeak && hackedEnd.reward >= hackedStart.reward
            && hackedStage.quality.meanQuality < optimised.quality.meanQuality
            && abs(hackedStage.meanReward - optimised.meanReward) < 0.5
        let ppoOptions = PPOOptions()
        steps.append(PagerStep(title: localized("Stage 4: reinforcement learning with PPO"), body: prose("""
            Now the model (the policy) learns from its own answers. Each update it answers \
            \(ppoOptions.requestsPerStep) training requests \(ppoOptions.answersPerRequest) times; \
            the reward model scores every answer; an answer's advantage is its score minus the mean \
            of the \(ppoOptions.answersPerRequest) answers to the same request (better than usual → \
            make it more likely). A group baseline like this is what RLOO and GRPO use; \
            InstructGPT's PPO learned a value network instead. PPO's clipped objective \
            min(ratio·A, clip(ratio, \(String(format: "%.1f", 1 - ppoOptions.clip)), \
            \(String(format: "%.1f", 1 + ppoOptions.clip)))·A) gives a token no reward for moving \
            its probability more than \(Int((ppoOptions.clip * 100).rounded()))% from where the \
            batch started (the gradient stops there; it is no hard limit). And every token pays \
            β·(log π(token) − log π_SFT(token)), a sample of the KL divergence from the SFT model, \
            so the policy stays near the answers the reward model was trained on.

            With β = \(beta), over \(ppoRewards.count) updates the mean reward went from \
            \(String(format: "%+.2f", average(ppoRewards.prefix(windowSize)))) to \
            \(String(format: "%+.2f", average(ppoRewards.suffix(windowSize)))) (first and last 10 \
            updates) and true quality from \(percent(average(ppoQuality.prefix(windowSize)))) to \
            \(percent(average(ppoQuality.suffix(windowSize)))). On the held-out requests the PPO \
            model's answers have mean true quality \(percent(optimised.quality.meanQuality)) against \
            SFT's \(percent(tuned.quality.meanQuality)), \(percent(optimised.quality.perfectShare)) \
            perfect, at a mean KL of \(String(format: "%.3f", optimised.kl ?? .nan)) nats per token from SFT.
            """) + "\n\n" + figureLine(curvesPath)))

        // 7. β = 0: reward hacking.
        // The β = 0 answers the reward model likes best among those the labeller does not.
        let hackedScores = try rewardModel.rewards(hackedStage.answers.map { sft.sequence($0.request, answer: $0.ids, finished: $0.finished) }).value.scalars
        let flawed = hackedStage.answers.indices.filter {
            labeller.quality(of: hackedStage.answers[$0].words, finished: hackedStage.answers[$0].finished, for: hackedStage.answers[$0].request) < 1
        }.sorted { hackedScores[$0] > hackedScores[$1] }
        var seenTexts: Set<String> = []
        let hackedLines = flawed.filter { seenTexts.insert(hackedStage.answers[$0].text).inserted }.prefix(4).map { index in
            let answer = hackedStage.answers[index]
            // Two lines per answer, so the table fits an 80-column terminal.
            return "    \(pad(answer.request.description, to: 14)) \(truncate(answer.text, to: 60))\n"
                + String(repeating: " ", count: 19)
                + localized("reward \(String(format: "%+.2f", hackedScores[index]))  quality \(String(format: "%.1f", labeller.quality(of: answer.words, finished: answer.finished, for: answer.request)))")
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("Without the KL penalty: reward hacking"), body: prose("""
            The reward model is only an imitation of the labeller, and a good one only on the kind \
            of answers it was trained on. With β = 0 nothing keeps the policy near those answers. \
            Over \(hackedRewards.count) updates its reward rose from \(String(format: "%+.2f", hackedStart.reward)) \
            to \(String(format: "%+.2f", hackedEnd.reward)), while its true quality, \
            \(percent(hackedStart.quality)) at the start and \(percent(hackedPeak)) at best, ended at \
            \(percent(hackedEnd.quality)); with β = \(beta) the same reward came with a true quality of \
            \(percent(average(ppoQuality.suffix(windowSize)))). On the held-out requests its answers score \
            \(String(format: "%+.2f", hackedStage.meanReward)) with the reward model (SFT: \
            \(String(format: "%+.2f", tuned.meanReward)), β = \(beta): \(String(format: "%+.2f", optimised.meanReward))) \
            but have true quality \(percent(hackedStage.quality.meanQuality)), at a KL of \
            \(String(format: "%.2f", hackedStage.kl ?? .nan)) nats per token from SFT. The answers it \
            writes that the reward model rates highest but the labeller does not like:
            """) + "\n\n" + hackedLines + "\n\n" + (hackingShown ? prose("""
            The policy found some of what the reward model over-rewards: its true quality fell back \
            from its best while the reward kept rising, and on the held-out requests it stays below \
            the policy with the KL term although the reward model rates the two alike. \
            This is why InstructGPT keeps the KL term: it trades a little reward for staying where \
            the reward model can be trusted.
            """) : prose("""
            In this run the policy without the penalty did not end worse than the one with it; the \
            gap between reward and true quality is the warning sign to watch. \
            This is why InstructGPT keeps the KL term: it trades a little reward for staying where \
            the reward model can be trusted.
            """))))

        // 8. The answers, stage by stage.
        var generator = SeededGenerator(seed: context.seed &+ 13)
        var tableLines: [String] = []
        for request in Self.tableRequests {
            tableLines.append("  " + context.style.bold("\"\(request)\""))
            for stage in stages {
                let answer = try stage.model.sampleAnswers([request], using: &generator)[0]
                let quality = labeller.quality(of: answer.words, finished: answer.finished, for: request)
                tableLines.append("    \(pad(stage.name, to: 14)) \(pad(truncate(answer.text, to: 56), to: 56)) \(String(format: "%.1f", quality))")
            }
        }
        let summary = stages.map { stage in
            "    " + localized("""
                \(pad(stage.name, to: 14)) true quality \(pad(percent(stage.quality.meanQuality), to: 4, alignRight: true))  \
                perfect \(pad(percent(stage.quality.perfectShare), to: 4, alignRight: true))  \
                reward \(String(format: "%+.2f", stage.meanReward))
                """)
                + (stage.kl.map { String(format: "  KL %.3f", $0) } ?? "")
        }.joined(separator: "\n")
        steps.append(PagerStep(title: localized("One request, four models"), body: prose("""
            One sampled answer per stage (seed \(context.seed)) to three requests, with the labeller's \
            true quality; the first two requests are held out:
            """) + "\n\n" + tableLines.joined(separator: "\n") + "\n\n" + prose("""
            And over all \(answersMeasured) answers to the held-out requests:
            """) + "\n\n" + summary))

        // 9. Back to lesson 0 and lesson 11.
        steps.append(PagerStep(title: localized("Still 文字接龙"), body: prose("""
            Every model in this lesson does exactly what lesson 0's model does: read the words so \
            far, give every word a probability, append one, repeat. Fine-tuning and reinforcement \
            learning change no part of that loop, only the probabilities: after SFT, "\(request.object)" \
            is the likely next word when the request asks for it, and after PPO the answers the \
            labeller likes are likelier still. Lesson 11's SmolLM2-135M-Instruct was fine-tuned on \
            instructions and on preference pairs by its makers, and still a model that \
            small mostly could not follow new tasks from examples in the prompt; the stages here \
            build one habit into the weights, so that a bare request is enough. ChatGPT's \
            thumbs-up and thumbs-down buttons collect more comparisons of exactly this kind.

            Train the stages yourself (add --beta 0 to the third to watch the reward hacking), then \
            run this lesson with your weights:
                tx train sft
                tx train reward --models Output
                tx train ppo --models Output
                tx lesson 13 --models Output
            One answer of the PPO policy, word by word:
                tx generate --model ppo --text "dog park"
            """) + "\n\n" + narrator.figuresWritten(figures.written)))
        return LessonRun(steps: steps, figures: figures.written)
    }
}
