import {describeSampling} from "../support/samplingSuite.js";
import {CODE_PAIR, readSharedPrompts, sharedSuite} from "../support/sharedFixtures.js";

describeSampling("JS code pair", CODE_PAIR, () => readSharedPrompts("code-dev-prompts", 10), sharedSuite());
