import {BUNDLED_PAIR, readFixturePrompts} from "../support/fixtures.js";
import {describeSampling} from "../support/samplingSuite.js";

describeSampling("bundled Python pair", BUNDLED_PAIR, () => readFixturePrompts(10));
