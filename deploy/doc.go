// Package deploy holds checks that the deployment files (docker-compose.yml, Dockerfile) agree with the code's configuration and Temporal contract.
package deploy
