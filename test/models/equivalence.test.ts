import {BUNDLED_PAIR, readFixturePrompts} from "../support/fixtures.js";
import {describeEquivalences} from "../support/equivalenceSuite.js";

describeEquivalences("bundled Python pair, 12 prompts", BUNDLED_PAIR, () => readFixturePrompts(12));
