/// The hyper-parameters of a Qwen3 decoder, named as Hugging Face's `config.json` names them.
public struct Qwen3Config: Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numKeyValueHeads: Int
    /// Per-head dimension; Qwen3 states it explicitly and it may differ from hidden / heads.
    public var headDim: Int
    public var rmsNormEps: Float
    public var ropeTheta: Double
    public var maxPositionEmbeddings: Int
    public var tieWordEmbeddings: Bool
    public var initializerRange: Float
    public var bosTokenID: Int?
    public var eosTokenID: Int?

    public init(
        vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int,
        numAttentionHeads: Int, numKeyValueHeads: Int, headDim: Int,
        rmsNormEps: Float = 1e-6, ropeTheta: Double = 10_000, maxPositionEmbeddings: Int = 1024,
        tieWordEmbeddings: Bool = true, initializerRange: Float = 0.02,
        bosTokenID: Int? = nil, eosTokenID: Int? = nil
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.headDim = headDim
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.tieWordEmbeddings = tieWordEmbeddings
        self.initializerRange = initializerRange
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
    }

    /// The largest sizes a configuration may give (far above any released Qwen3), so that parameter counts cannot
    /// overflow: `config.json` and the training keys `model.*` are both held to them.
    public static let maximumHiddenSize = 1 << 16
    public static let maximumIntermediateSize = 1 << 18
    public static let maximumVocabularySize = 1 << 22
    public static let maximumHeads = 1 << 10
    public static let maximumHeadDim = 1 << 12
    public static let maximumLayers = 1 << 10
    public static let maximumPositions = 1 << 24

    /// Width of the concatenated query heads.
    public var queryWidth: Int { numAttentionHeads * headDim }
    /// Width of the concatenated key (or value) heads.
    public var keyValueWidth: Int { numKeyValueHeads * headDim }
    /// Floats per token of the fused q|k|v projection: `queryWidth + 2 · keyValueWidth`.
    public var queryKeyValueWidth: Int { queryWidth + 2 * keyValueWidth }
}
