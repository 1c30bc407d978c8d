import Figures
import TensorCore
import Transformer

var rng = SeededGenerator(seed: 1)
let x = Tensor.randomNormal([4, 8], using: &rng)                      // 4 tokens, d_model 8
let head = AttentionHead(modelDimension: 8, keyDimension: 4, valueDimension: 4, using: &rng)
let stages = try head(x, mask: causalMask(size: 4))                   // every stage is kept
print(stages.weights)                                                  // rows sum to 1

let attention = try MultiHeadAttention(modelDimension: 8, heads: 2, using: &rng)
let output = try attention(x, mask: causalMask(size: 4))
let second = try output.weights(head: 1)          // one head's rows, no reshaping; heads from 0
try render(Heatmap(values: second,
                   rowLabels: ["我", "是", "学", "生"], columnLabels: ["我", "是", "学", "生"],
                   title: "Head 2 of 2", valueRange: 0...1),
           to: "attention.png")                    // render creates no folder: name one that exists
