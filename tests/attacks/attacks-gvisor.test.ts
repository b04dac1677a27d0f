// Every attack case on gvisor (see attack-suite.ts).
import { defineAttackSuite } from './attack-suite.ts';

defineAttackSuite('gvisor');
