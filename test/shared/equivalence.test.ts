import {describeEquivalences} from "../support/equivalenceSuite.js";
import {CODE_PAIR, PROSE_PAIR, readSharedPrompts, sharedModel, sharedSuite} from "../support/sharedFixtures.js";

const suite = sharedSuite();
describeEquivalences("prose pair, 20 dev prompts", PROSE_PAIR, () => readSharedPrompts("dev-prompts", 20), suite);
describeEquivalences("JS code pair, 12 dev prompts", CODE_PAIR, () => readSharedPrompts("code-dev-prompts", 12), suite);
describeEquivalences("Python pair with the aligned little model, 12 held-out dev prompts",
    {big: sharedModel("py-big.gguf"), little: sharedModel("py-little-aligned.gguf")}, () => readSharedPrompts("py-dev-prompts", 40).slice(20, 32), suite);
