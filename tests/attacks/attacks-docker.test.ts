// Every attack case on docker (see attack-suite.ts).
import { defineAttackSuite } from './attack-suite.ts';

defineAttackSuite('docker');
